#!/usr/bin/env bash
# azd postdeploy hook: subscribe the app's Event Grid function to the ACS system topic.
#
# Runs after `azd deploy` (and so after `azd up`), because Event Grid validates a webhook
# endpoint when the subscription is created and the function must exist by then. Needs the
# Azure CLI signed in to the same subscription as azd (`az login`). Idempotent: creating an
# existing subscription updates it. The endpoint carries the eventgrid_extension system key,
# so it is never printed.
#
# Inputs (azd sets the first four from main.bicep's outputs):
#   AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME, AZURE_FUNCTION_APP_URL, EVENTGRID_SYSTEM_TOPIC_NAME
#   EVENTGRID_FUNCTION_NAME    optional; found from the deployed functions' bindings when unset
#   EVENTGRID_SUBSCRIPTION_NAME optional; default acs-chat-to-app
#   EVENTGRID_EVENT_TYPES      optional; space-separated ACS event types (default: thread-level chat events)
set -euo pipefail

: "${AZURE_RESOURCE_GROUP:?is not set: run this through azd (azd up or azd deploy)}"
: "${AZURE_FUNCTION_APP_NAME:?is not set: run this through azd (azd up or azd deploy)}"
: "${AZURE_FUNCTION_APP_URL:?is not set: run this through azd (azd up or azd deploy)}"
: "${EVENTGRID_SYSTEM_TOPIC_NAME:?is not set: run this through azd (azd up or azd deploy)}"

subscription_name="${EVENTGRID_SUBSCRIPTION_NAME:-acs-chat-to-app}"
# Thread-level events: one per thread change. The user-level ChatMessageReceived fires once per
# recipient, which would fan every message out several times.
event_types="${EVENTGRID_EVENT_TYPES:-Microsoft.Communication.ChatMessageReceivedInThread Microsoft.Communication.ChatMessageEditedInThread Microsoft.Communication.ChatMessageDeletedInThread Microsoft.Communication.ChatThreadCreated Microsoft.Communication.ChatThreadPropertiesUpdated Microsoft.Communication.ChatThreadDeleted Microsoft.Communication.ChatThreadParticipantAdded Microsoft.Communication.ChatThreadParticipantRemoved}"

if ! command -v az >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) is needed to create the Event Grid subscription; install it, run 'az login', then 'azd hooks run postdeploy'." >&2
  exit 1
fi

function_name="${EVENTGRID_FUNCTION_NAME:-}"
if [ -z "$function_name" ]; then
  # Names come back as "<app>/<function>"; keep the function part.
  function_name="$(az functionapp function list \
    --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
    --query "[?config.bindings[?type=='eventGridTrigger']].name | [0]" --output tsv --only-show-errors || true)"
  function_name="${function_name##*/}"
fi
if [ -z "$function_name" ]; then
  echo "postdeploy: the app has no Event Grid-triggered function yet; no subscription created." \
       "Set EVENTGRID_FUNCTION_NAME or deploy the fan-out, then run 'azd hooks run postdeploy'." >&2
  exit 0
fi

# The host creates the eventgrid_extension system key when it first indexes an Event Grid
# trigger, which can take a minute after a deployment.
key=""
for attempt in $(seq 1 30); do
  key="$(az functionapp keys list \
    --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
    --query "systemKeys.eventgrid_extension" --output tsv --only-show-errors 2>/dev/null || true)"
  [ -n "$key" ] && break
  echo "postdeploy: waiting for the app's eventgrid_extension key (attempt $attempt of 30)"
  sleep 10
done
if [ -z "$key" ]; then
  echo "postdeploy: the app never exposed its eventgrid_extension system key; check that $function_name started (App Insights), then run 'azd hooks run postdeploy'." >&2
  exit 1
fi

endpoint="${AZURE_FUNCTION_APP_URL%/}/runtime/webhooks/eventgrid?functionName=${function_name}&code=${key}"

# shellcheck disable=SC2086  # event_types is a deliberate word list
az eventgrid system-topic event-subscription create \
  --name "$subscription_name" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --system-topic-name "$EVENTGRID_SYSTEM_TOPIC_NAME" \
  --endpoint-type webhook \
  --endpoint "$endpoint" \
  --event-delivery-schema eventgridschema \
  --included-event-types $event_types \
  --max-delivery-attempts 30 \
  --event-ttl 1440 \
  --only-show-errors --output none

echo "postdeploy: Event Grid subscription '$subscription_name' on '$EVENTGRID_SYSTEM_TOPIC_NAME' delivers to function '$function_name'."
