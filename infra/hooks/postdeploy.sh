#!/usr/bin/env bash
# azd postdeploy hook: subscribe the app's Event Grid function to the ACS system topic.
#
# Runs after `azd deploy` (and so after `azd up`): Event Grid checks the destination function
# when the subscription is created, so the function must exist by then. Every `az` call names
# azd's subscription (AZURE_SUBSCRIPTION_ID), so the Azure CLI's own default subscription does
# not matter; the CLI must be signed in (`az login`) with an account that can see it.
#
# It fails (exit 1, naming the reason and what to do) whenever the subscription was not made:
# CLI missing or not signed in, azd's subscription not visible, no rights, the function never
# listed, Event Grid refusing. Re-running it is safe: creating an existing subscription updates it.
#
# Steps: check the sign-in and the subscription; read the app's resource id; ask the host to sync
# its triggers (a Flex Consumption app lists only WarmUp until then) and wait until it lists the
# Event Grid function; create or update the subscription with the function itself as destination
# (endpoint type azurefunction: no key is read, passed or stored), explicit retries (30 attempts
# within 24 hours) and a dead-letter container written with the topic's own identity; then read
# the subscription back and require provisioningState Succeeded.
#
# Inputs (azd sets these from its environment and main.bicep's outputs):
#   AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME,
#   EVENTGRID_SYSTEM_TOPIC_NAME, EVENTGRID_DEADLETTER_CONTAINER_ID
#   EVENTGRID_FUNCTION_NAME     optional; default fanout_acs_event (the app's Event Grid function)
#   EVENTGRID_SUBSCRIPTION_NAME optional; default acs-chat-to-app
#   EVENTGRID_EVENT_TYPES       optional; space-separated ACS event types (default: thread-level chat and calling events)
#   POSTDEPLOY_WAIT_ATTEMPTS    optional; trigger syncs and listings before giving up (default 30)
#   POSTDEPLOY_WAIT_SECONDS     optional; pause between them (default 10)
# azure.yaml declares `shell: sh`; this script needs bash, so it re-runs itself under bash if
# started by another shell.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

rerun="fix that, then run 'azd hooks run postdeploy' (safe to re-run)"
fail() {
  echo "postdeploy: FAILED: $*" >&2
  echo "postdeploy: the Event Grid subscription was not created or updated; $rerun." >&2
  exit 1
}

for name in AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME EVENTGRID_SYSTEM_TOPIC_NAME \
            EVENTGRID_DEADLETTER_CONTAINER_ID; do
  if [ -z "${!name:-}" ]; then
    fail "$name is not set: run this through azd (azd up, azd deploy or azd hooks run postdeploy) after azd provision"
  fi
done
subscription="$AZURE_SUBSCRIPTION_ID"
function_name="${EVENTGRID_FUNCTION_NAME:-fanout_acs_event}"
subscription_name="${EVENTGRID_SUBSCRIPTION_NAME:-acs-chat-to-app}"
# Thread-level events: one per thread change. The user-level ChatMessageReceived fires once per
# recipient, which would fan every message out several times. Calling events of room calls feed the
# Twilio Video room status callbacks (docs/video.md).
event_types="${EVENTGRID_EVENT_TYPES:-Microsoft.Communication.ChatMessageReceivedInThread Microsoft.Communication.ChatMessageEditedInThread Microsoft.Communication.ChatMessageDeletedInThread Microsoft.Communication.ChatThreadCreated Microsoft.Communication.ChatThreadPropertiesUpdated Microsoft.Communication.ChatThreadDeleted Microsoft.Communication.ChatThreadParticipantAdded Microsoft.Communication.ChatThreadParticipantRemoved Microsoft.Communication.CallStarted Microsoft.Communication.CallEnded Microsoft.Communication.CallParticipantAdded Microsoft.Communication.CallParticipantRemoved Microsoft.Communication.RecordingFileStatusUpdated}"
attempts="${POSTDEPLOY_WAIT_ATTEMPTS:-30}"
pause="${POSTDEPLOY_WAIT_SECONDS:-10}"

if ! command -v az >/dev/null 2>&1; then
  fail "the Azure CLI (az) is needed to create the Event Grid subscription: install it, run 'az login'"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# az_run ARGS...: runs az; stdout in $out, and on failure its error text in $err (returns az's status).
az_run() {
  local status=0
  az "$@" --only-show-errors >"$work/out" 2>"$work/err" || status=$?
  out="$(<"$work/out")"
  err="$(<"$work/err")"
  return "$status"
}

# 1. Signed in, and able to see azd's subscription?
if ! az_run account show --subscription "$subscription" --query id --output tsv; then
  case "$err" in
    *"az login"*|*"not logged in"*|*"No subscription found"*|*"AADSTS"*)
      fail "the Azure CLI is not signed in (az said: ${err:-nothing}). Run 'az login${AZURE_TENANT_ID:+ --tenant $AZURE_TENANT_ID}'; azd and az sign in separately" ;;
    *)
      fail "the Azure CLI's account cannot see azd's subscription $subscription (az said: ${err:-nothing}). Sign in with an account that can ('az login${AZURE_TENANT_ID:+ --tenant $AZURE_TENANT_ID}'), or point azd at the right one ('azd env set AZURE_SUBSCRIPTION_ID <id>')" ;;
  esac
fi
if [ "$out" != "$subscription" ]; then
  fail "az answered for subscription '$out' when asked for $subscription"
fi

# 2. The app.
if ! az_run functionapp show --subscription "$subscription" --resource-group "$AZURE_RESOURCE_GROUP" \
     --name "$AZURE_FUNCTION_APP_NAME" --query id --output tsv || [ -z "$out" ]; then
  fail "could not read function app $AZURE_FUNCTION_APP_NAME in resource group $AZURE_RESOURCE_GROUP (az said: ${err:-no id}). Check that azd provision succeeded and that your account has Reader or more on the resource group"
fi
app_id="$out"

# 3. Sync triggers, then wait until the app lists the Event Grid function.
listed=""
sync_error=""
for attempt in $(seq 1 "$attempts"); do
  if az_run rest --method post --url "https://management.azure.com${app_id}/syncfunctiontriggers?api-version=2024-04-01"; then
    sync_error=""
  else
    sync_error="$err"
    case "$err" in
      *AuthorizationFailed*|*Forbidden*|*"does not have authorization"*)
        fail "no right to sync the triggers of $AZURE_FUNCTION_APP_NAME (az said: $err). You need Website Contributor or Contributor on the app" ;;
    esac
  fi
  if ! az_run functionapp function list --subscription "$subscription" --resource-group "$AZURE_RESOURCE_GROUP" \
       --name "$AZURE_FUNCTION_APP_NAME" --query "[].name" --output tsv; then
    fail "could not list the functions of $AZURE_FUNCTION_APP_NAME (az said: $err)"
  fi
  listed="$(printf '%s\n' "$out" | tr -s '\r\n' ' ')"
  if printf '%s\n' "$out" | grep -qx "${AZURE_FUNCTION_APP_NAME}/${function_name}"; then
    break
  fi
  if [ "$attempt" -ge "$attempts" ]; then
    fail "after $attempts trigger syncs the app still does not list function '$function_name' (it lists: ${listed:-nothing}${sync_error:+; last trigger sync error: $sync_error}). Check that 'azd deploy' succeeded and the host started (Application Insights, 'azd monitor'); if the function was renamed, set EVENTGRID_FUNCTION_NAME"
  fi
  echo "postdeploy: waiting for the app to list '$function_name' (attempt $attempt of $attempts; it lists: ${listed:-nothing})"
  sleep "$pause"
done

# 4. Create or update the subscription.
# shellcheck disable=SC2086  # event_types is a deliberate word list
if ! az_run eventgrid system-topic event-subscription create \
     --subscription "$subscription" \
     --name "$subscription_name" \
     --resource-group "$AZURE_RESOURCE_GROUP" \
     --system-topic-name "$EVENTGRID_SYSTEM_TOPIC_NAME" \
     --endpoint-type azurefunction \
     --endpoint "${app_id}/functions/${function_name}" \
     --event-delivery-schema eventgridschema \
     --included-event-types $event_types \
     --max-delivery-attempts 30 \
     --event-ttl 1440 \
     --deadletter-identity systemassigned \
     --deadletter-identity-endpoint "$EVENTGRID_DEADLETTER_CONTAINER_ID" \
     --output none; then
  fail "Event Grid refused the subscription '$subscription_name' on '$EVENTGRID_SYSTEM_TOPIC_NAME' (az said: $err)"
fi

# 5. Read it back.
if ! az_run eventgrid system-topic event-subscription show --subscription "$subscription" \
     --name "$subscription_name" --resource-group "$AZURE_RESOURCE_GROUP" \
     --system-topic-name "$EVENTGRID_SYSTEM_TOPIC_NAME" --query provisioningState --output tsv; then
  fail "could not read back the subscription '$subscription_name' (az said: $err)"
fi
if [ "$out" != "Succeeded" ]; then
  fail "the subscription '$subscription_name' is in state '${out:-unknown}', not Succeeded"
fi

echo "postdeploy: Event Grid subscription '$subscription_name' on '$EVENTGRID_SYSTEM_TOPIC_NAME' delivers to function '$function_name' (30 attempts within 24 h, then the dead-letter container)."
