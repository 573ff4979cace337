"""Write functions, named `<entity>_<action>`: they apply the decision core's decisions to the database."""
