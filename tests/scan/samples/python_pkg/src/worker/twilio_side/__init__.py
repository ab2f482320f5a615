from .clients import make_client as make_client
