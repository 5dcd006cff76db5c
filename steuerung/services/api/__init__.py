"""The REST API's services: tokens, the document (OpenAPI 3.1), problem details, serialisation.

Figures and permissions come from the other service packages; this package only turns them
into the API's shapes, so the API always answers what the pages show.
"""
