"""The MkDocs side: the mathreel plugin, generated pages and the gallery macro."""
