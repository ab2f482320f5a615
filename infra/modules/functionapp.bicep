// The Function App on the Flex Consumption plan (Python 3.11, Linux). It runs as the
// user-assigned managed identity, pulls its package from a blob container with that
// identity, and reads secrets through Key Vault references resolved with it.

@description('Name of the Function App (also its default host name).')
@minLength(2)
@maxLength(60)
param name string

@description('Name of the Flex Consumption plan.')
@minLength(1)
@maxLength(60)
param planName string

@description('Azure region.')
param location string

@description('Tags for both resources; the app also gets azd-service-name.')
param tags object = {}

@description('azd service name in azure.yaml that deploys to this app.')
param serviceName string = 'api'

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityId string

@description('Primary blob endpoint of the storage account, with its trailing slash.')
param storageBlobEndpoint string

@description('Blob container the deployment package is uploaded to.')
param deploymentContainerName string

@description('App settings: names and values, Key Vault references for secrets.')
param appSettings object

@description('Spread instances across availability zones; only in regions where Flex Consumption supports it.')
param zoneRedundant bool = false

@description('Upper bound on instances the plan scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityId
    // Only what a Flex Consumption site has: infra/flex-unsupported.json lists the site
    // properties Flex rejects or lacks (ftpsState fails with ARM error 51021), and
    // tests/infra/test_rules.py keeps every one of them out of this file.
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [for setting in items(appSettings): {
        name: setting.key
        value: setting.value
      }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
