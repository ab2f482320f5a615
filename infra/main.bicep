// One-command deployment of the Twilio -> ACS migrator with `azd up`:
// a resource group holding the Function App (Flex Consumption, Python 3.11), its
// storage, monitoring, Key Vault, the ACS resource and the Event Grid system topic on
// it. The Event Grid subscription to the app's function is created by the azd
// postdeploy hook (infra/hooks/postdeploy.*) once the function exists.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; every resource name is derived from it.')
param environmentName string

// Regions with Flex Consumption, as Microsoft's Flex quickstart template lists them
// (Azure-Samples/functions-quickstart-python-http-azd infra/main.bicep; its canary region
// eastus2euap left out). `az functionapp list-flexconsumption-locations` gives the live list;
// add a region here when it gains Flex. azd offers only these when it prompts.
@minLength(1)
@description('Azure region with Flex Consumption, for everything except ACS and its system topic, which are global.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Storage redundancy. Empty: Standard_ZRS where the region has availability zones, Standard_LRS elsewhere (ZRS is refused in regions without zones).')
@allowed([
  ''
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSkuName string = ''

@description('Where ACS stores chat data at rest, e.g. "United States", "Europe", "UK".')
param acsDataLocation string = 'United States'

@description('Object id of the user running azd; granted the app\'s storage roles for local debugging. Empty to skip.')
param principalId string = ''

@description('What kind of principal principalId is: azd sets AZURE_PRINCIPAL_TYPE (ServicePrincipal when azd runs as one, as in CI).')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Twilio account SID (AC followed by 32 lowercase hex characters); checked below, a typo fails the deployment.')
@minLength(34)
@maxLength(34)
param twilioAccountSid string

@secure()
@description('Twilio auth token; written to Key Vault only, never to an output.')
param twilioAuthToken string

@description('Optional Twilio API key SID (SK...); when set the app authenticates with the key pair.')
param twilioApiKeySid string = ''

@secure()
@description('Secret of the Twilio API key; required when twilioApiKeySid is set. Key Vault only.')
param twilioApiKeySecret string = ''

@description('Exact iss of the identity provider\'s tokens (Entra: https://login.microsoftonline.com/<tenant>/v2.0). Empty: bearer tokens are refused.')
param tokenJwtIssuer string = ''

@description('Exact aud the bearer tokens must carry (this app\'s client id or App ID URI).')
param tokenJwtAudience string = ''

@description('The identity provider\'s JWKS URL (https).')
param tokenJwksUrl string = ''

@description('Claim naming the app identity in bearer tokens (Entra: oid); it must match the identities the migration used.')
param tokenIdentityClaim string = 'sub'

@secure()
@description('Key (at least 32 characters) a trusted backend sends to ask for any identity\'s token. Empty: no trusted backend. Key Vault only.')
param tokenBackendKey string = ''

@description('Public URL Twilio posts live-sync webhooks to, when it differs from the request URL (custom domain, proxy). Empty: the request URL.')
param twilioWebhookUrl string = ''

@description('Public address migrated messages link attachments to (a custom domain or Front Door); empty: https:// + the site host name.')
param publicBaseUrl string = ''

@description('NCRONTAB schedule (six fields, UTC) of the nightly sync timer.')
param nightlySchedule string = '0 0 2 * * *'

@description('E-mail address the cutover alerts go to (dead letters, a failed run, many 429s, no nightly run); empty: the portal only.')
param alertEmail string = ''

@description('429 answers from ACS and Twilio within 15 minutes that raise an alert.')
@minValue(1)
param throttleAlertThreshold int = 500

@description('Upper bound on Function App instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per Function App instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// Parameter checks ARM cannot express as decorators (no regular expressions): each entry is
// empty when its parameter is fine, else what it should hold. A non-empty list stops the
// deployment before anything is created (see parameterCheck on the resource group).
var hexDigitsLeft = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace( substring(twilioAccountSid, 2), '0', ''), '1', ''), '2', ''), '3', ''), '4', ''), '5', ''), '6', ''), '7', ''), '8', ''), '9', ''), 'a', ''), 'b', ''), 'c', ''), 'd', ''), 'e', ''), 'f', '')
var apiKeyHexLeft = (length(twilioApiKeySid) != 34) ? 'x' : replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace( substring(twilioApiKeySid, 2), '0', ''), '1', ''), '2', ''), '3', ''), '4', ''), '5', ''), '6', ''), '7', ''), '8', ''), '9', ''), 'a', ''), 'b', ''), 'c', ''), 'd', ''), 'e', ''), 'f', '')
var sidProblem = (startsWith(twilioAccountSid, 'AC') && empty(hexDigitsLeft)) ? [] : ['twilioAccountSid (TWILIO_ACCOUNT_SID) must be AC followed by 32 lowercase hex characters']
var keySidProblem = (empty(twilioApiKeySid) || (startsWith(twilioApiKeySid, 'SK') && empty(apiKeyHexLeft))) ? [] : ['twilioApiKeySid (TWILIO_API_KEY_SID) must be empty or SK followed by 32 lowercase hex characters']
var keySecretProblem = (empty(twilioApiKeySid) || !empty(twilioApiKeySecret)) ? [] : ['twilioApiKeySecret (TWILIO_API_KEY_SECRET) is required when twilioApiKeySid is set']
var backendKeyProblem = (empty(tokenBackendKey) || length(tokenBackendKey) >= 32) ? [] : ['tokenBackendKey (TOKEN_BACKEND_KEY) must be empty or at least 32 characters']
var jwksProblem = (empty(tokenJwksUrl) || startsWith(tokenJwksUrl, 'https://')) ? [] : ['tokenJwksUrl (TOKEN_JWKS_URL) must be an https URL']
var jwtSetProblem = ((empty(tokenJwtIssuer) == empty(tokenJwtAudience)) && (empty(tokenJwtIssuer) == empty(tokenJwksUrl))) ? [] : ['tokenJwtIssuer, tokenJwtAudience and tokenJwksUrl (TOKEN_JWT_*) must be set together or not at all']
var webhookProblem = (empty(twilioWebhookUrl) || startsWith(twilioWebhookUrl, 'https://')) ? [] : ['twilioWebhookUrl (TWILIO_WEBHOOK_URL) must be empty or an https URL']
var publicBaseUrlProblem = (empty(publicBaseUrl) || startsWith(publicBaseUrl, 'https://')) ? [] : ['publicBaseUrl (PUBLIC_BASE_URL) must be empty or an https URL']
var parameterProblems = concat(sidProblem, keySidProblem, keySecretProblem, backendKeyProblem, jwksProblem, jwtSetProblem, webhookProblem, publicBaseUrlProblem)
// ARM's if() evaluates only the branch it takes, so int() of the message runs only when a
// check failed, and the deployment stops with an error that quotes it.
var parameterCheck = empty(parameterProblems) ? 'passed' : string(int('Invalid parameters: ${join(parameterProblems, '; ')}'))

var tags = {
  'azd-env-name': environmentName
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

// The allowed regions above that have availability zones (Microsoft's list of regions with
// availability zones, as known to this template's authors; not checked against the live list
// here). Zone-redundant storage exists only there: elsewhere the default is locally redundant.
var zoneRedundantRegions = [
  'australiaeast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'westeurope'
  'westus2'
  'westus3'
]
var storageSku = (!empty(storageSkuName)) ? storageSkuName : (contains(zoneRedundantRegions, location) ? 'Standard_ZRS' : 'Standard_LRS')
// Event Grid writes events it could not deliver (after its retries, or past their time to
// live) here, with the system topic's identity, so an app outage loses no event.
var deadLetterContainerName = 'eventgrid-deadletter'
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'

// Names of the state the app keeps; the defaults of shared/settings.py ResourceNames.
var stateNames = {
  identityTable: 'identities'
  conversationTable: 'conversations'
  messageTable: 'messages'
  runTable: 'runs'
  subscriptionTable: 'subscriptions'
  deadLetterTable: 'deadletters'
  webhookTable: 'twiliowebhooks'
  migrationQueue: 'migration-work'
  deliveryQueue: 'event-deliveries'
  mediaContainer: 'twilio-media'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: union(tags, {
    'parameter-check': parameterCheck
  })
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    resourceToken: resourceToken
    alertEmail: alertEmail
    throttleThreshold: throttleAlertThreshold
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    skuName: storageSku
    tableNames: [
      stateNames.identityTable
      stateNames.conversationTable
      stateNames.messageTable
      stateNames.runTable
      stateNames.subscriptionTable
      stateNames.deadLetterTable
      stateNames.webhookTable
    ]
    queueNames: [
      stateNames.migrationQueue
      '${stateNames.migrationQueue}-next' // next slices of conversations under way (the app adds -next)
      stateNames.deliveryQueue
    ]
    containerNames: [
      stateNames.mediaContainer
      deploymentContainerName
      deadLetterContainerName
    ]
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  scope: rg
  params: {
    name: 'acs-${resourceToken}'
    systemTopicName: 'evgt-acs-${resourceToken}'
    dataLocation: acsDataLocation
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    communicationServiceName: communication.outputs.name
    twilioAuthToken: twilioAuthToken
    storeTwilioApiKeySecret: !empty(twilioApiKeySid)
    twilioApiKeySecret: twilioApiKeySecret
    storeTokenBackendKey: !empty(tokenBackendKey)
    tokenBackendKey: tokenBackendKey
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    managedIdentityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
    eventGridTopicPrincipalId: communication.outputs.systemTopicPrincipalId
  }
}

// Every setting shared/settings.py reads, plus what the Functions host itself reads.
// tests/infra/test_settings_deployed.py keeps this in step with the code and the README.
var appSettings = {
  // Host storage and the app's state, with the managed identity (no keys).
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  // Telemetry with Entra ID: the component has local auth off.
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  // Twilio: secrets through Key Vault references.
  TWILIO_ACCOUNT_SID: twilioAccountSid
  TWILIO_AUTH_TOKEN: keyVault.outputs.twilioAuthTokenReference
  TWILIO_API_KEY_SID: twilioApiKeySid
  TWILIO_API_KEY_SECRET: empty(twilioApiKeySid) ? '' : keyVault.outputs.twilioApiKeySecretReference
  // ACS.
  ACS_CONNECTION_STRING: keyVault.outputs.acsConnectionStringReference
  // State names (created above, so the first request does not create them).
  IDENTITY_TABLE: stateNames.identityTable
  CONVERSATION_TABLE: stateNames.conversationTable
  MESSAGE_TABLE: stateNames.messageTable
  RUN_TABLE: stateNames.runTable
  SUBSCRIPTION_TABLE: stateNames.subscriptionTable
  DEAD_LETTER_TABLE: stateNames.deadLetterTable
  TWILIO_WEBHOOK_TABLE: stateNames.webhookTable
  MIGRATION_QUEUE: stateNames.migrationQueue
  DELIVERY_QUEUE: stateNames.deliveryQueue
  MEDIA_CONTAINER: stateNames.mediaContainer
  // Token service: who may ask for ACS tokens. Only the emptiness of the backend key is used here.
  TOKEN_JWT_ISSUER: tokenJwtIssuer
  TOKEN_JWT_AUDIENCE: tokenJwtAudience
  TOKEN_JWKS_URL: tokenJwksUrl
  TOKEN_IDENTITY_CLAIM: tokenIdentityClaim
  TOKEN_JWT_ALGORITHMS: 'RS256'
  TOKEN_JWT_LEEWAY_SECONDS: '30'
  TOKEN_TRUST_APP_SERVICE_AUTH: 'false' // this template does not configure App Service Authentication
  TOKEN_BACKEND_KEY: empty(tokenBackendKey) ? '' : keyVault.outputs.tokenBackendKeyReference
  TOKEN_USER_SCOPES: 'chat'
  TOKEN_BACKEND_SCOPES: 'chat,voip,chat.join,chat.join.limited,voip.join'
  TOKEN_DEFAULT_EXPIRES_IN_MINUTES: '60'
  // Export engine pacing: ACS's documented limits (see the README's settings table).
  EXPORT_CONCURRENCY: '32'
  EXPORT_SEND_LIMITS: '10/10,30/60'
  EXPORT_PARTICIPANT_LIMITS: '10/10,30/60'
  EXPORT_THREAD_CREATE_LIMITS: '10/10'
  EXPORT_IDENTITY_LIMITS: '1000/30'
  EXPORT_RATE_TIME_SCALE: '1'
  EXPORT_SLICE_SECONDS: '240'
  EXPORT_LEASE_SECONDS: '300'
  EXPORT_MAX_ATTEMPTS: '8'
  EXPORT_FLUSH_EVERY: '50'
  // Migration runs: planning budget, nightly sync, live sync from Twilio webhooks.
  MIGRATION_PLAN_SECONDS: '60'
  NIGHTLY_SWEEP_DAYS: '7'
  NIGHTLY_SCHEDULE: nightlySchedule
  LIVE_SYNC_DELAY_SECONDS: '2'
  TWILIO_WEBHOOK_URL: twilioWebhookUrl
  // Migrated attachments behind /api/attachments (docs/attachments.md).
  PUBLIC_BASE_URL: publicBaseUrl
  ATTACHMENT_LINK_MINUTES: '5'
  ATTACHMENT_LOGIN_PATH: '/.auth/login/aad'
  // Event fan-out: development switches off; delivery retries.
  FANOUT_ALLOW_HTTP: 'false'
  FANOUT_ALLOW_PRIVATE_TARGETS: 'false'
  FANOUT_MAX_ATTEMPTS: '8'
  FANOUT_RETRY_BASE_SECONDS: '10'
  FANOUT_RETRY_MAX_SECONDS: '3600'
  FANOUT_CACHE_SECONDS: '5'
  FANOUT_QUEUE_FIRST_ATTEMPT: 'false'
  // Twilio Video migration: rooms made on first use, roles, room token lifetime (docs/video.md).
  VIDEO_ROOM_TABLE: 'videorooms'
  VIDEO_ROOM_VALIDITY_MINUTES: '10080'
  VIDEO_DEFAULT_ROLE: 'Attendee'
  VIDEO_ROLE_CLAIM: ''
  VIDEO_TOKEN_EXPIRES_IN_MINUTES: '60'
  // Rooms exist only when the backend makes them; a room made by a user's join would admit any signed-in user.
  VIDEO_USERS_CREATE_ROOMS: 'false'
  VIDEO_USER_ROOMS_PER_HOUR: '5'
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  dependsOn: [
    rbac
  ]
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appSettings: appSettings
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

// Read by azd and the postdeploy hook. No secret is ever an output.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output ACS_RESOURCE_NAME string = communication.outputs.name
output ACS_ENDPOINT string = communication.outputs.endpoint
output EVENTGRID_SYSTEM_TOPIC_NAME string = communication.outputs.systemTopicName
output EVENTGRID_DEADLETTER_CONTAINER_ID string = '${storage.outputs.id}/blobServices/default/containers/${deadLetterContainerName}'
