"""AIQ's feeds (sales, members, inventory: ../shared/AIQ-API.md "Feeds"): the client and the importer."""
