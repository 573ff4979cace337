"""The admin: configuration is saved through the models' clean(), so by the same rules as `procedure_save`
(dunning.services.validation), and every change is audited. What the run, delivery and the services write
(letters, runs, the audit trail) is shown, never edited here: a sent letter and the audit trail are
append-only in the database itself, and a letter in review is worked through the review queue.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.urls import reverse

from dunning.models import (AssignmentRule, AuditEvent, Company, Contact, Customer, Letter, LetterItem, Level,
                            LevelAmount, Procedure, Run, Template, customer_key)
from dunning.services.audit import event_recorded
from dunning.services.validation import (ConfigurationInvalid, level_draft, procedure_draft, template_delete_clean,
                                         validate_procedure)


class AuditedAdmin(admin.ModelAdmin):
    """Every change is audited with who and when (SPEC 6), in the same transaction as the change."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        event_recorded(f"{self.opts.model_name}_saved", form.instance, request.user.get_username(),
                       changes=self.construct_change_message(request, form, formsets, add=not change))

    def delete_model(self, request, obj):
        event_recorded(f"{self.opts.model_name}_deleted", obj, request.user.get_username(), name=str(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class ReadOnly:
    """A view only: these rows are written by the run, delivery and the services, never typed in."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------

@admin.register(Company)
class CompanyAdmin(AuditedAdmin):
    list_display = ("code", "name", "base_currency", "timezone", "language")


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class CustomerForm(forms.ModelForm):
    """The key is the number without leading zeros, as the importers make it: '0042' and '42' are one customer."""

    def clean(self):
        cleaned = super().clean()
        key = customer_key(cleaned.get("number") or "")
        same = Customer.objects.filter(company=cleaned.get("company"), key=key).exclude(pk=self.instance.pk).first()
        if same is not None:
            raise ValidationError(f"customer {same.number} is the same number without leading zeros; edit that "
                                  f"customer instead, or give another number")
        self.instance.key = key
        return cleaned


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    """Pausing goes through the pause service (reason checked, audited): shown here, not edited."""

    form = CustomerForm
    inlines = (ContactInline,)
    list_display = ("number", "name", "company", "currency", "language", "procedure", "paused")
    list_filter = ("company", "paused")
    list_select_related = ("company", "procedure")
    search_fields = ("number", "name")
    readonly_fields = ("key", "paused", "pause_reason", "pause_detail", "pause_until")


class LevelFormSet(BaseInlineFormSet):
    """The procedure with all its levels as entered: what one level's clean() cannot see alone (two new
    levels at the same days, the templates of a new procedure's levels, a procedure left without levels)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [form.instance for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        draft = procedure_draft(self.instance, levels=[level_draft(row) for row in rows])
        errors = [str(e) for e in validate_procedure(draft) if e.field.startswith("level")]
        if errors:
            raise ValidationError(errors)


class LevelInline(admin.TabularInline):
    model = Level
    formset = LevelFormSet
    extra = 0
    fields = ("number", "days", "name", "combine", "fee_percent", "interest_rate", "channels")
    show_change_link = True  # its per-currency amounts are on the level's own page


@admin.register(Procedure)
class ProcedureAdmin(AuditedAdmin):
    inlines = (LevelInline,)
    list_display = ("code", "name", "scope", "mode", "sending", "default_currency", "charges_policy")


class LevelAmountInline(admin.TabularInline):
    model = LevelAmount
    extra = 0


@admin.register(Level)
class LevelAdmin(AuditedAdmin):
    inlines = (LevelAmountInline,)
    list_display = ("procedure", "number", "days", "name", "channels", "fee_percent")
    list_filter = ("procedure",)
    list_select_related = ("procedure",)


@admin.register(LevelAmount)
class LevelAmountAdmin(AuditedAdmin):
    list_display = ("level", "kind", "currency", "amount_minor")
    list_select_related = ("level__procedure",)


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(AuditedAdmin):
    list_display = ("priority", "procedure", "company", "tag", "country", "currency", "language",
                    "min_balance_minor")
    list_select_related = ("procedure", "company")


@admin.register(Template)
class TemplateAdmin(AuditedAdmin):
    """A template whose deletion would leave a procedure without its default-language text is kept."""

    list_display = ("level", "channel", "language", "procedure", "subject")
    list_filter = ("procedure", "channel", "language")
    list_select_related = ("procedure",)

    def delete_view(self, request, object_id, extra_context=None):
        template = self.get_object(request, object_id)
        if request.method == "POST" and template is not None and not self._deletable(request, template):
            return redirect(reverse("admin:dunning_template_change", args=[template.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for template in queryset:
                if self._deletable(request, template):
                    self.delete_model(request, template)

    def _deletable(self, request, template) -> bool:
        try:
            template_delete_clean(template)
        except ConfigurationInvalid as refused:
            self.message_user(request, f"{template} was not deleted: " + "; ".join(refused.messages), messages.ERROR)
            return False
        return True


# ---------------------------------------------------------------------------------------------
# What the run wrote: read only
# ---------------------------------------------------------------------------------------------

class LetterItemInline(ReadOnlyInline):
    model = LetterItem


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    inlines = (LetterItemInline,)
    list_display = ("id", "date", "company", "customer", "currency", "invoice_key", "level", "state")
    list_filter = ("state", "company")
    list_select_related = ("company", "customer")
    search_fields = ("customer__number", "customer__name", "invoice_key")


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = ("id", "as_of", "company", "dry_run", "status", "started_at", "duration_ms")
    list_filter = ("status", "dry_run")
    list_select_related = ("company",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor")
