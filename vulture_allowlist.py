"""Names vulture cannot see used (`make lint`: vulture over the paths in pyproject's [tool.vulture]).

Each entry says who uses the name. Add one only for a caller vulture cannot see (a framework hook, a name read
by string, a test-facing API); delete code that nothing uses instead. Azure Functions handlers need no entry:
pyproject's [tool.vulture] ignores functions decorated with ``@bp.function_name``.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Framework hooks: the standard library or an SDK calls these by name.
_.do_GET  # http.server.BaseHTTPRequestHandler dispatches GET to it (harness/local_issuer.py, bench)
_.do_POST  # http.server dispatches POST to it (harness/subscriber.py)
_.log_message  # http.server's access log hook, silenced
_.protocol_version  # http.server: answer with HTTP/1.1 (keep-alive)
_.daemon_threads  # socketserver.ThreadingMixIn: request threads do not block the exit
_.handle_starttag  # html.parser.HTMLParser callback (shared/scan/html.py)
_.handle_data  # html.parser.HTMLParser callback
_.handle_endtag  # html.parser.HTMLParser callback
_.getlist  # twilio's RequestValidator reads repeated form fields through it (shared/migrations/live.py)
_.trust_env  # requests.Session setting: proxies are read once per origin, not per request (shared/http_session.py)
_.functions_bindings  # azure-functions' FunctionApp registry, reset because get_functions() is not idempotent

# The azure.functions.Context interface the host stand-in implements (emulators/host/invoker.py); handlers read it.
_.invocation_id
_.thread_local_storage
_.function_directory
_.trace_context
_.trace_state
_.trace_parent
_.retry_context
_.max_retry_count

# Read by name, not by attribute.
_.invocations  # emulators/host/counters.py: a function's counters are reported by looping over their names
_.successes  # same
_.IN_PROGRESS  # ExportStatus members are made from stored strings, ExportStatus("in_progress")
_.nightly_schedule  # a setting validated at load; the Functions host reads it itself as %NIGHTLY_SCHEDULE%

# Read only by tests, which check state through them.
_.reconciled  # RetryStats: tests/export assert a lost send was found, not resent
_.list_identities  # IdentityStore: tests/state, tests/tokens
_.media_exists  # MediaStore: tests/state
_.delete_messages  # MessageMapStore: tests/state, tests/fanout
_.approximate_length  # WorkQueue: tests/state, tests/fanout
_.uses_identity  # StorageSettings: tests/unit/test_settings.py
_.verify_body_signature  # the subscriber's side of body_signature, tested in tests/fanout as the contract it signs
_.public_pem  # the local token issuer's key: tests/tokens and tests/hostile forge tokens with it
_.jwks_requests  # the local token issuer counts JWKS fetches: tests/tokens/test_bearer.py
_.waiting  # PriorityGate: tests/export/test_units.py queues calls behind a held slot
