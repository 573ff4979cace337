"""Who the demo companies sell to: names, addresses and mail domains that look real per language.

Every domain is under example.com / example.de / example.jp (reserved, never delivered).
An entry is (name, mail slug); addresses are lists of lines as they go on an envelope.
"""
from __future__ import annotations

BUSINESSES: dict[str, list[tuple[str, str]]] = {
    "de": [
        ("Müller Bau GmbH", "mueller-bau"), ("Schneider Logistik GmbH & Co. KG", "schneider-logistik"),
        ("Fischer Elektrotechnik AG", "fischer-elektro"), ("Weber Metallbau GmbH", "weber-metallbau"),
        ("Becker Feinkost OHG", "becker-feinkost"), ("Hoffmann Druckerei GmbH", "hoffmann-druck"),
        ("Schulz Gartenbau e.K.", "schulz-gartenbau"), ("Koch Sanitärtechnik GmbH", "koch-sanitaer"),
        ("Richter Holzhandel GmbH", "richter-holz"), ("Klein Medizintechnik GmbH", "klein-medtech"),
        ("Wolf Fahrzeugteile GmbH", "wolf-fahrzeugteile"), ("Neumann Software GmbH", "neumann-software"),
    ],
    "fr": [
        ("Boulangerie Dubois SARL", "dubois"), ("Transports Lefèvre SA", "lefevre-transports"),
        ("Atelier Moreau SAS", "atelier-moreau"), ("Groupe Girard SA", "groupe-girard"),
        ("Laurent & Fils SARL", "laurent-fils"), ("Éditions Bernard SAS", "editions-bernard"),
        ("Fromagerie Rousseau SARL", "fromagerie-rousseau"),
    ],
    "es": [
        ("Construcciones García S.L.", "construcciones-garcia"), ("Distribuciones Martínez S.A.", "dist-martinez"),
        ("Talleres López S.L.", "talleres-lopez"), ("Hermanos Sánchez S.L.", "hnos-sanchez"),
        ("Alimentos Romero S.A.", "alimentos-romero"), ("Textiles Navarro S.L.", "textiles-navarro"),
        ("Rodríguez Landscaping LLC", "rodriguez-landscaping"),
    ],
    "en": [  # in the order the companies take them: UK, US, Canada, Asia-Pacific
        ("Thames Valley Components Ltd", "thamesvalley"), ("Highland Engineering Ltd", "highland-eng"),
        ("Silver Birch Furniture Ltd", "silverbirch"),
        ("Blue Ridge Hardware LLC", "blueridge-hardware"), ("Pioneer Office Supply Inc.", "pioneer-office"),
        ("Cedar & Pine Builders LLC", "cedarpine"), ("Lakeside Diner Group", "lakeside-diner"),
        ("Summit Medical Partners", "summit-medical"), ("Redwood Logistics Inc.", "redwood-logistics"),
        ("Harborview Marine Services", "harborview-marine"), ("Granite State Electric", "granite-electric"),
        ("Prairie Farm Co-op", "prairie-farm"), ("Maple Street Bakery", "maple-bakery"),
        ("Copper Canyon Mining Co.", "coppercanyon"), ("Liberty Print Works", "liberty-print"),
        ("Northern Lights Outfitters Ltd.", "northernlights"), ("Great Lakes Tooling Corp.", "greatlakes-tooling"),
        ("Pacific Rim Trading Pte. Ltd.", "pacificrim"), ("Sunset Coast Wines", "sunset-wines"),
        ("Harrow & Finch Trading Ltd", "harrowfinch"),
    ],
    "ja": [
        ("株式会社山田製作所", "yamada-ss"), ("佐藤商事株式会社", "sato-shoji"), ("鈴木電機株式会社", "suzuki-denki"),
        ("高橋物流株式会社", "takahashi-butsuryu"), ("田中建設株式会社", "tanaka-kensetsu"),
        ("伊藤食品株式会社", "ito-shokuhin"), ("渡辺精工株式会社", "watanabe-seiko"),
        ("中村印刷株式会社", "nakamura-insatsu"), ("小林化学工業株式会社", "kobayashi-kagaku"),
        ("加藤運輸株式会社", "kato-unyu"), ("吉田商店", "yoshida-shoten"), ("山本工業株式会社", "yamamoto-kogyo"),
        ("松本電子株式会社", "matsumoto-denshi"), ("井上製菓株式会社", "inoue-seika"),
    ],
}

# (country, mail TLD, envelope lines built from a street number)
STREETS = {
    "DE": ["Hauptstraße", "Bahnhofstraße", "Industriestraße", "Lindenallee", "Gartenweg", "Am Markt"],
    "FR": ["rue de la République", "rue Victor Hugo", "avenue Jean Jaurès", "boulevard Voltaire", "rue Pasteur"],
    "ES": ["Calle Mayor", "Avenida de la Constitución", "Calle de Alcalá", "Paseo de Gracia", "Calle Real"],
    "GB": ["High Street", "Station Road", "Victoria Road", "Church Lane", "Mill Road"],
    "US": ["Market Street", "Elm Avenue", "Commerce Drive", "Main Street", "Industrial Parkway", "Oak Boulevard"],
    "CA": ["Bay Street", "rue Sainte-Catherine", "Granville Street", "King Street West"],
    "JP": [""],
    "SG": ["Raffles Place", "Orchard Road"],
}
CITIES = {
    "DE": [("10115", "Berlin"), ("80331", "München"), ("50667", "Köln"), ("60311", "Frankfurt am Main"),
           ("70173", "Stuttgart"), ("04109", "Leipzig"), ("28195", "Bremen"), ("90402", "Nürnberg")],
    "FR": [("75011", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"),
           ("33000", "Bordeaux"), ("44000", "Nantes")],
    "ES": [("28013", "Madrid"), ("08007", "Barcelona"), ("41001", "Sevilla"), ("46002", "Valencia"),
           ("48001", "Bilbao")],
    "GB": [("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("EH1 1YZ", "Edinburgh"), ("BS1 4DJ", "Bristol")],
    "US": [("02110", "Boston, MA"), ("60606", "Chicago, IL"), ("80202", "Denver, CO"), ("78701", "Austin, TX"),
           ("97204", "Portland, OR"), ("43215", "Columbus, OH"), ("30303", "Atlanta, GA"), ("33131", "Miami, FL")],
    "CA": [("M5J 2N8", "Toronto ON"), ("H3B 1A7", "Montréal QC"), ("V6C 1T2", "Vancouver BC"),
           ("G1R 4P5", "Québec QC")],
    "JP": [("〒530-0001", "大阪府大阪市北区梅田2-4-9"), ("〒460-0008", "愛知県名古屋市中区栄3-5-12"),
           ("〒812-0011", "福岡県福岡市博多区博多駅前2-1-1"), ("〒060-0005", "北海道札幌市中央区北5条西2-5"),
           ("〒980-0021", "宮城県仙台市青葉区中央1-3-1"), ("〒220-0011", "神奈川県横浜市西区高島2-19-12"),
           ("〒150-0002", "東京都渋谷区渋谷2-21-1"), ("〒100-0005", "東京都千代田区丸の内1-9-1")],
    "SG": [("048619", "Singapore")],
}
COUNTRY_NAMES = {"DE": "Deutschland", "FR": "France", "ES": "España", "GB": "United Kingdom", "US": "USA",
                 "CA": "Canada", "JP": "日本", "SG": "Singapore"}
MAIL_TLD = {"DE": "example.de", "JP": "example.jp"}
MAILBOX = {"de": "buchhaltung", "fr": "comptabilite", "es": "contabilidad", "en": "accounts.payable", "ja": "keiri"}


def envelope(country: str, number: int, street: str, postcode: str, city: str, home_country: str) -> list[str]:
    """Address lines in the order the post of `country` expects; the country line only when abroad."""
    if country == "JP":
        lines = [postcode, city]
    elif country in ("US", "CA") and city[-2:].isupper():
        lines = [f"{number} {street}", f"{city} {postcode}"]
    elif country == "GB":
        lines = [f"{number} {street}", city, postcode]
    elif country == "FR":
        lines = [f"{number} {street}", f"{postcode} {city.upper()}"]
    elif country == "SG":
        lines = [f"{number} {street}", f"{city} {postcode}"]
    else:
        lines = [f"{street} {number}", f"{postcode} {city}"]
    if country != home_country:
        lines.append(COUNTRY_NAMES[country])
    return lines


def email_for(language: str, slug: str, country: str) -> str:
    return f"{MAILBOX[language]}@{slug}.{MAIL_TLD.get(country, 'example.com')}"
