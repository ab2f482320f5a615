# azd postdeploy hook (Windows): subscribe the app's Event Grid function to the ACS system topic.
#
# The same steps as postdeploy.sh: runs after `azd deploy` because Event Grid checks the
# destination function when the subscription is created, so the function must exist. Needs
# the Azure CLI signed in (`az login`). Idempotent: creating an existing subscription updates it.
#
# The destination is the function itself (endpoint type azurefunction): no function or system
# key is read, passed on a command line, or stored in the subscription.
#
# Inputs (azd sets the first three from main.bicep's outputs):
#   AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME, EVENTGRID_SYSTEM_TOPIC_NAME
#   EVENTGRID_FUNCTION_NAME     optional; found from the deployed functions' bindings when unset
#   EVENTGRID_SUBSCRIPTION_NAME optional; default acs-chat-to-app
#   EVENTGRID_EVENT_TYPES       optional; space-separated ACS event types (default: thread-level chat events)
#   POSTDEPLOY_WAIT_ATTEMPTS    optional; 10-second waits for the function to be listed (default 30)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'EVENTGRID_SYSTEM_TOPIC_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Write-Error "postdeploy: $name is not set: run this through azd (azd up or azd deploy)"
        exit 1
    }
}
$resourceGroup = $env:AZURE_RESOURCE_GROUP
$appName = $env:AZURE_FUNCTION_APP_NAME
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
    'Microsoft.Communication.ChatThreadParticipantRemoved',
    # Calling events of room calls: Twilio Video room status callbacks (docs/video.md).
    'Microsoft.Communication.CallStarted',
    'Microsoft.Communication.CallEnded',
    'Microsoft.Communication.CallParticipantAdded',
    'Microsoft.Communication.CallParticipantRemoved',
    'Microsoft.Communication.RecordingFileStatusUpdated'
) }
$attempts = if ($env:POSTDEPLOY_WAIT_ATTEMPTS) { [int]$env:POSTDEPLOY_WAIT_ATTEMPTS } else { 30 }

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error "postdeploy: the Azure CLI (az) is needed to create the Event Grid subscription; install it, run 'az login', then 'azd hooks run postdeploy'."
    exit 1
}

# Functions are listed once the host has indexed the new package, which can take a minute.
# Names come back as "<app>/<function>"; keep the function part.
$query = if ($env:EVENTGRID_FUNCTION_NAME) {
    "[?name=='$appName/$($env:EVENTGRID_FUNCTION_NAME)'].name | [0]"
} else {
    "[?config.bindings[?type=='eventGridTrigger']].name | [0]"
}
$functionName = $null
for ($attempt = 1; $attempt -le $attempts; $attempt++) {
    $functionName = az functionapp function list --resource-group $resourceGroup --name $appName `
        --query $query --output tsv --only-show-errors 2>$null
    if ($functionName) { $functionName = ($functionName -split '/')[-1]; break }
    if ($attempt -lt $attempts) {
        Write-Host "postdeploy: waiting for the app's Event Grid function to be listed (attempt $attempt of $attempts)"
        Start-Sleep -Seconds 10
    }
}
if (-not $functionName) {
    Write-Warning "postdeploy: the app lists no Event Grid-triggered function; no subscription created. Deploy the fan-out (or set EVENTGRID_FUNCTION_NAME), then run 'azd hooks run postdeploy'."
    exit 0
}

$appId = az functionapp show --resource-group $resourceGroup --name $appName --query id --output tsv --only-show-errors
if ($LASTEXITCODE -ne 0 -or -not $appId) {
    Write-Error "postdeploy: could not read the resource id of $appName (see the az error above)."
    exit 1
}

az eventgrid system-topic event-subscription create `
    --name $subscriptionName `
    --resource-group $resourceGroup `
    --system-topic-name $topicName `
    --endpoint-type azurefunction `
    --endpoint "$appId/functions/$functionName" `
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
