#!/usr/bin/env bash
# azd postdeploy hook: subscribe the app's Event Grid function to the ACS system topic.
#
# Runs after `azd deploy` (and so after `azd up`), because Event Grid checks the destination
# function when the subscription is created and the function must exist by then. Needs the
# Azure CLI signed in to the same subscription as azd (`az login`). Idempotent: creating an
# existing subscription updates it.
#
# The destination is the function itself (endpoint type azurefunction): Event Grid calls it
# with its own identity, so no function or system key is read, passed on a command line, or
# stored in the subscription.
#
# Inputs (azd sets the first three from main.bicep's outputs):
#   AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME, EVENTGRID_SYSTEM_TOPIC_NAME
#   EVENTGRID_FUNCTION_NAME     optional; found from the deployed functions' bindings when unset
#   EVENTGRID_SUBSCRIPTION_NAME optional; default acs-chat-to-app
#   EVENTGRID_EVENT_TYPES       optional; space-separated ACS event types (default: thread-level chat events)
#   POSTDEPLOY_WAIT_ATTEMPTS    optional; 10-second waits for the function to be listed (default 30)
set -euo pipefail

: "${AZURE_RESOURCE_GROUP:?is not set: run this through azd (azd up or azd deploy)}"
: "${AZURE_FUNCTION_APP_NAME:?is not set: run this through azd (azd up or azd deploy)}"
: "${EVENTGRID_SYSTEM_TOPIC_NAME:?is not set: run this through azd (azd up or azd deploy)}"

subscription_name="${EVENTGRID_SUBSCRIPTION_NAME:-acs-chat-to-app}"
# Thread-level events: one per thread change. The user-level ChatMessageReceived fires once per
# recipient, which would fan every message out several times. Calling events of room calls feed the
# Twilio Video room status callbacks (docs/video.md).
event_types="${EVENTGRID_EVENT_TYPES:-Microsoft.Communication.ChatMessageReceivedInThread Microsoft.Communication.ChatMessageEditedInThread Microsoft.Communication.ChatMessageDeletedInThread Microsoft.Communication.ChatThreadCreated Microsoft.Communication.ChatThreadPropertiesUpdated Microsoft.Communication.ChatThreadDeleted Microsoft.Communication.ChatThreadParticipantAdded Microsoft.Communication.ChatThreadParticipantRemoved Microsoft.Communication.CallStarted Microsoft.Communication.CallEnded Microsoft.Communication.CallParticipantAdded Microsoft.Communication.CallParticipantRemoved Microsoft.Communication.RecordingFileStatusUpdated}"
attempts="${POSTDEPLOY_WAIT_ATTEMPTS:-30}"

if ! command -v az >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) is needed to create the Event Grid subscription; install it, run 'az login', then 'azd hooks run postdeploy'." >&2
  exit 1
fi

# Functions are listed once the host has indexed the new package, which can take a minute.
# Names come back as "<app>/<function>"; keep the function part.
if [ -n "${EVENTGRID_FUNCTION_NAME:-}" ]; then
  query="[?name=='${AZURE_FUNCTION_APP_NAME}/${EVENTGRID_FUNCTION_NAME}'].name | [0]"
else
  query="[?config.bindings[?type=='eventGridTrigger']].name | [0]"
fi
function_name=""
for attempt in $(seq 1 "$attempts"); do
  function_name="$(az functionapp function list \
    --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
    --query "$query" --output tsv --only-show-errors 2>/dev/null || true)"
  function_name="${function_name##*/}"
  [ -n "$function_name" ] && break
  [ "$attempt" -lt "$attempts" ] || break
  echo "postdeploy: waiting for the app's Event Grid function to be listed (attempt $attempt of $attempts)"
  sleep 10
done
if [ -z "$function_name" ]; then
  echo "postdeploy: the app lists no Event Grid-triggered function${EVENTGRID_FUNCTION_NAME:+ named $EVENTGRID_FUNCTION_NAME};" \
       "no subscription created. Deploy the fan-out (or set EVENTGRID_FUNCTION_NAME), then run 'azd hooks run postdeploy'." >&2
  exit 0
fi

app_id="$(az functionapp show --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
  --query id --output tsv --only-show-errors)"

# shellcheck disable=SC2086  # event_types is a deliberate word list
az eventgrid system-topic event-subscription create \
  --name "$subscription_name" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --system-topic-name "$EVENTGRID_SYSTEM_TOPIC_NAME" \
  --endpoint-type azurefunction \
  --endpoint "${app_id}/functions/${function_name}" \
  --event-delivery-schema eventgridschema \
  --included-event-types $event_types \
  --max-delivery-attempts 30 \
  --event-ttl 1440 \
  --only-show-errors --output none

echo "postdeploy: Event Grid subscription '$subscription_name' on '$EVENTGRID_SYSTEM_TOPIC_NAME' delivers to function '$function_name'."
