// Key Vault holding the app's secrets: the Twilio auth token, the optional Twilio API
// key secret, the optional token-service backend key and the ACS connection string. The Function App reads them through Key
// Vault references with its managed identity; no secret is ever a deployment output.

@description('Key Vault name: 3-24 letters, digits and hyphens.')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the vault.')
param tags object = {}

@description('Name of the Communication Services resource whose connection string is stored.')
param communicationServiceName string

@secure()
@description('Twilio auth token (also verifies X-Twilio-Signature on live-sync webhooks).')
param twilioAuthToken string

@description('Whether a Twilio API key secret is stored (a TWILIO_API_KEY_SID was given).')
param storeTwilioApiKeySecret bool = false

@secure()
@description('Twilio API key secret; stored only when storeTwilioApiKeySecret is true.')
param twilioApiKeySecret string = ''

@description('Whether a token-service backend key is stored (one was given).')
param storeTokenBackendKey bool = false

@secure()
@description('Key a trusted backend sends to the token service; stored only when storeTokenBackendKey is true.')
param tokenBackendKey string = ''

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource twilioAuthTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'twilio-auth-token'
  properties: {
    value: twilioAuthToken
    contentType: 'text/plain'
  }
}

resource twilioApiKeySecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (storeTwilioApiKeySecret) {
  parent: vault
  name: 'twilio-api-key-secret'
  properties: {
    value: twilioApiKeySecret
    contentType: 'text/plain'
  }
}

resource tokenBackendKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (storeTokenBackendKey) {
  parent: vault
  name: 'token-backend-key'
  properties: {
    value: tokenBackendKey
    contentType: 'text/plain'
  }
}

resource acsConnectionStringSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'acs-connection-string'
  properties: {
    value: communication.listKeys().primaryConnectionString
    contentType: 'text/plain'
  }
}

// Versionless references: the app picks up a rotated secret within a day, or at once on restart.
// main.bicep uses the optional ones only when their secret is stored: a reference to a missing
// secret would leave the reference text itself as the setting's value.
output name string = vault.name
output id string = vault.id
output twilioAuthTokenReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/twilio-auth-token/)'
output twilioApiKeySecretReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/twilio-api-key-secret/)'
output tokenBackendKeyReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/token-backend-key/)'
output acsConnectionStringReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/acs-connection-string/)'
