# azd postdeploy hook (Windows): subscribe the app's Event Grid function to the ACS system topic.
#
# The same steps, checks and messages as postdeploy.sh (tests/infra/test_postdeploy.py holds the
# two together): every az call names azd's subscription (AZURE_SUBSCRIPTION_ID); the hook exits 1
# naming the reason whenever the subscription was not made; re-running it is safe (creating an
# existing subscription updates it).
#
# Steps: check the sign-in and the subscription; read the app's resource id; sync the host's
# triggers (a Flex Consumption app lists only WarmUp until then) and wait until it lists the
# Event Grid function; create or update the subscription (endpoint type azurefunction, so no key
# is read, passed or stored; 30 delivery attempts within 24 hours; dead letters to a container
# written with the topic's identity); read it back and require provisioningState Succeeded.
#
# Inputs (azd sets these from its environment and main.bicep's outputs):
#   AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME,
#   EVENTGRID_SYSTEM_TOPIC_NAME, EVENTGRID_DEADLETTER_CONTAINER_ID
#   EVENTGRID_FUNCTION_NAME     optional; default fanout_acs_event (the app's Event Grid function)
#   EVENTGRID_SUBSCRIPTION_NAME optional; default acs-chat-to-app
#   EVENTGRID_EVENT_TYPES       optional; space-separated ACS event types (default: thread-level chat and calling events)
#   POSTDEPLOY_WAIT_ATTEMPTS    optional; trigger syncs and listings before giving up (default 30)
#   POSTDEPLOY_WAIT_SECONDS     optional; pause between them (default 10)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Fail([string]$Message) {
    [Console]::Error.WriteLine("postdeploy: FAILED: $Message")
    [Console]::Error.WriteLine("postdeploy: the Event Grid subscription was not created or updated; fix that, then run 'azd hooks run postdeploy' (safe to re-run).")
    exit 1
}

foreach ($name in 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'EVENTGRID_SYSTEM_TOPIC_NAME', 'EVENTGRID_DEADLETTER_CONTAINER_ID') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Fail "$name is not set: run this through azd (azd up, azd deploy or azd hooks run postdeploy) after azd provision"
    }
}
$sub = $env:AZURE_SUBSCRIPTION_ID
$resourceGroup = $env:AZURE_RESOURCE_GROUP
$appName = $env:AZURE_FUNCTION_APP_NAME
$topicName = $env:EVENTGRID_SYSTEM_TOPIC_NAME
$deadLetter = $env:EVENTGRID_DEADLETTER_CONTAINER_ID
$tenantHint = if ($env:AZURE_TENANT_ID) { " --tenant $($env:AZURE_TENANT_ID)" } else { '' }
$functionName = if ($env:EVENTGRID_FUNCTION_NAME) { $env:EVENTGRID_FUNCTION_NAME } else { 'fanout_acs_event' }
$subscriptionName = if ($env:EVENTGRID_SUBSCRIPTION_NAME) { $env:EVENTGRID_SUBSCRIPTION_NAME } else { 'acs-chat-to-app' }
# Thread-level events: one per thread change. The user-level ChatMessageReceived fires once per
# recipient, which would fan every message out several times.
$eventTypes = if ($env:EVENTGRID_EVENT_TYPES) { @($env:EVENTGRID_EVENT_TYPES -split '\s+' | Where-Object { $_ }) } else { @(
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
$pause = if ($env:POSTDEPLOY_WAIT_SECONDS) { [int]$env:POSTDEPLOY_WAIT_SECONDS } else { 10 }

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Fail "the Azure CLI (az) is needed to create the Event Grid subscription: install it, run 'az login'"
}

# Invoke-Az: runs az; its output in $script:AzOut, its error text in $script:AzError; $true on success.
function Invoke-Az([object[]]$Arguments) {
    # az's stderr goes to a file; 'Continue' here so a native error line is never turned into a throw.
    $ErrorActionPreference = 'Continue'
    $errorFile = [System.IO.Path]::GetTempFileName()
    try {
        $output = & az @Arguments --only-show-errors 2>$errorFile
        $code = $LASTEXITCODE
        $script:AzError = ((Get-Content -Raw -Path $errorFile) -as [string])
        if ($script:AzError) { $script:AzError = $script:AzError.Trim() }
    } finally {
        Remove-Item -Path $errorFile -ErrorAction SilentlyContinue
    }
    $script:AzOut = if ($output) { ((@($output) -join "`n")).Trim() } else { '' }
    return ($code -eq 0)
}

# 1. Signed in, and able to see azd's subscription?
if (-not (Invoke-Az @('account', 'show', '--subscription', $sub, '--query', 'id', '--output', 'tsv'))) {
    if ($script:AzError -match 'az login|not logged in|No subscription found|AADSTS') {
        Fail "the Azure CLI is not signed in (az said: $($script:AzError)). Run 'az login$tenantHint'; azd and az sign in separately"
    }
    Fail "the Azure CLI's account cannot see azd's subscription $sub (az said: $($script:AzError)). Sign in with an account that can ('az login$tenantHint'), or point azd at the right one ('azd env set AZURE_SUBSCRIPTION_ID <id>')"
}
if ($script:AzOut -ne $sub) { Fail "az answered for subscription '$($script:AzOut)' when asked for $sub" }

# 2. The app.
if (-not (Invoke-Az @('functionapp', 'show', '--subscription', $sub, '--resource-group', $resourceGroup, '--name', $appName, '--query', 'id', '--output', 'tsv')) -or -not $script:AzOut) {
    Fail "could not read function app $appName in resource group $resourceGroup (az said: $($script:AzError)). Check that azd provision succeeded and that your account has Reader or more on the resource group"
}
$appId = $script:AzOut

# 3. Sync triggers, then wait until the app lists the Event Grid function.
$syncError = ''
for ($attempt = 1; $attempt -le $attempts; $attempt++) {
    if (Invoke-Az @('rest', '--method', 'post', '--url', "https://management.azure.com$appId/syncfunctiontriggers?api-version=2024-04-01")) {
        $syncError = ''
    } else {
        $syncError = $script:AzError
        if ($syncError -match 'AuthorizationFailed|Forbidden|does not have authorization') {
            Fail "no right to sync the triggers of $appName (az said: $syncError). You need Website Contributor or Contributor on the app"
        }
    }
    if (-not (Invoke-Az @('functionapp', 'function', 'list', '--subscription', $sub, '--resource-group', $resourceGroup, '--name', $appName, '--query', '[].name', '--output', 'tsv'))) {
        Fail "could not list the functions of $appName (az said: $($script:AzError))"
    }
    $names = @($script:AzOut -split "`r?`n" | Where-Object { $_ })
    $listed = $names -join ' '
    if ($names -contains "$appName/$functionName") { break }
    if ($attempt -ge $attempts) {
        $lastSync = if ($syncError) { "; last trigger sync error: $syncError" } else { '' }
        $lists = if ($listed) { $listed } else { 'nothing' }
        Fail "after $attempts trigger syncs the app still does not list function '$functionName' (it lists: $lists$lastSync). Check that 'azd deploy' succeeded and the host started (Application Insights, 'azd monitor'); if the function was renamed, set EVENTGRID_FUNCTION_NAME"
    }
    Write-Host "postdeploy: waiting for the app to list '$functionName' (attempt $attempt of $attempts; it lists: $listed)"
    Start-Sleep -Seconds $pause
}

# 4. Create or update the subscription.
$createArgs = @('eventgrid', 'system-topic', 'event-subscription', 'create',
    '--subscription', $sub,
    '--name', $subscriptionName,
    '--resource-group', $resourceGroup,
    '--system-topic-name', $topicName,
    '--endpoint-type', 'azurefunction',
    '--endpoint', "$appId/functions/$functionName",
    '--event-delivery-schema', 'eventgridschema',
    '--included-event-types') + $eventTypes + @(
    '--max-delivery-attempts', '30',
    '--event-ttl', '1440',
    '--deadletter-identity', 'systemassigned',
    '--deadletter-identity-endpoint', $deadLetter,
    '--output', 'none')
if (-not (Invoke-Az $createArgs)) {
    Fail "Event Grid refused the subscription '$subscriptionName' on '$topicName' (az said: $($script:AzError))"
}

# 5. Read it back.
if (-not (Invoke-Az @('eventgrid', 'system-topic', 'event-subscription', 'show', '--subscription', $sub, '--name', $subscriptionName, '--resource-group', $resourceGroup, '--system-topic-name', $topicName, '--query', 'provisioningState', '--output', 'tsv'))) {
    Fail "could not read back the subscription '$subscriptionName' (az said: $($script:AzError))"
}
if ($script:AzOut -ne 'Succeeded') {
    Fail "the subscription '$subscriptionName' is in state '$($script:AzOut)', not Succeeded"
}

Write-Host "postdeploy: Event Grid subscription '$subscriptionName' on '$topicName' delivers to function '$functionName' (30 attempts within 24 h, then the dead-letter container)."
