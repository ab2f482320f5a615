# azd postdeploy hook (Windows): subscribe the app's Event Grid function to the ACS system topic.
#
# The same steps as postdeploy.sh: runs after `azd deploy` because Event Grid validates the
# webhook endpoint when the subscription is created, so the function must exist. Needs the
# Azure CLI signed in (`az login`). Idempotent. The endpoint carries the eventgrid_extension
# system key, so it is never printed.
#
# Inputs (azd sets the first four from main.bicep's outputs):
#   AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME, AZURE_FUNCTION_APP_URL, EVENTGRID_SYSTEM_TOPIC_NAME
#   EVENTGRID_FUNCTION_NAME     optional; found from the deployed functions' bindings when unset
#   EVENTGRID_SUBSCRIPTION_NAME optional; default acs-chat-to-app
#   EVENTGRID_EVENT_TYPES       optional; space-separated ACS event types (default: thread-level chat events)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'AZURE_FUNCTION_APP_URL', 'EVENTGRID_SYSTEM_TOPIC_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Write-Error "postdeploy: $name is not set: run this through azd (azd up or azd deploy)"
        exit 1
    }
}
$resourceGroup = $env:AZURE_RESOURCE_GROUP
$appName = $env:AZURE_FUNCTION_APP_NAME
$appUrl = $env:AZURE_FUNCTION_APP_URL.TrimEnd('/')
$topicName = $env:EVENTGRID_SYSTEM_TOPIC_NAME

$subscriptionName = if ($env:EVENTGRID_SUBSCRIPTION_NAME) { $env:EVENTGRID_SUBSCRIPTION_NAME } else { 'acs-chat-to-app' }
# Thread-level events: one per thread change. The user-level ChatMessageReceived fires once per
# recipient, which would fan every message out several times.
$eventTypes = if ($env:EVENTGRID_EVENT_TYPES) { $env:EVENTGRID_EVENT_TYPES -split '\s+' } else { @(
    'Microsoft.Communication.ChatMessageReceivedInThread',
    'Microsoft.Communication.ChatMessageEditedInThread',
    'Microsoft.Communication.ChatMessageDeletedInThread',
    'Microsoft.Communication.ChatThreadCreated',
    'Microsoft.Communication.ChatThreadPropertiesUpdated',
    'Microsoft.Communication.ChatThreadDeleted',
    'Microsoft.Communication.ChatThreadParticipantAdded',
    'Microsoft.Communication.ChatThreadParticipantRemoved'
) }

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error "postdeploy: the Azure CLI (az) is needed to create the Event Grid subscription; install it, run 'az login', then 'azd hooks run postdeploy'."
    exit 1
}

$functionName = $env:EVENTGRID_FUNCTION_NAME
if (-not $functionName) {
    # Names come back as "<app>/<function>"; keep the function part.
    $functionName = az functionapp function list --resource-group $resourceGroup --name $appName `
        --query "[?config.bindings[?type=='eventGridTrigger']].name | [0]" --output tsv --only-show-errors
    if ($functionName) { $functionName = ($functionName -split '/')[-1] }
}
if (-not $functionName) {
    Write-Warning "postdeploy: the app has no Event Grid-triggered function yet; no subscription created. Set EVENTGRID_FUNCTION_NAME or deploy the fan-out, then run 'azd hooks run postdeploy'."
    exit 0
}

# The host creates the eventgrid_extension system key when it first indexes an Event Grid
# trigger, which can take a minute after a deployment.
$key = $null
for ($attempt = 1; $attempt -le 30; $attempt++) {
    $key = az functionapp keys list --resource-group $resourceGroup --name $appName `
        --query 'systemKeys.eventgrid_extension' --output tsv --only-show-errors 2>$null
    if ($key) { break }
    Write-Host "postdeploy: waiting for the app's eventgrid_extension key (attempt $attempt of 30)"
    Start-Sleep -Seconds 10
}
if (-not $key) {
    Write-Error "postdeploy: the app never exposed its eventgrid_extension system key; check that $functionName started (App Insights), then run 'azd hooks run postdeploy'."
    exit 1
}

$endpoint = "$appUrl/runtime/webhooks/eventgrid?functionName=$functionName&code=$key"

az eventgrid system-topic event-subscription create `
    --name $subscriptionName `
    --resource-group $resourceGroup `
    --system-topic-name $topicName `
    --endpoint-type webhook `
    --endpoint $endpoint `
    --event-delivery-schema eventgridschema `
    --included-event-types @eventTypes `
    --max-delivery-attempts 30 `
    --event-ttl 1440 `
    --only-show-errors --output none
if ($LASTEXITCODE -ne 0) {
    Write-Error "postdeploy: creating the Event Grid subscription '$subscriptionName' failed (see the az error above)."
    exit $LASTEXITCODE
}

Write-Host "postdeploy: Event Grid subscription '$subscriptionName' on '$topicName' delivers to function '$functionName'."
