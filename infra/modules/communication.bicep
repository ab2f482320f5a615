// The Azure Communication Services resource the history moves to, and the Event Grid
// system topic that publishes its chat events. The subscription from that topic to the
// app's Event Grid function is made after deployment (infra/hooks/postdeploy.*), because
// the function must exist before Event Grid can validate its endpoint.

@description('Name of the Communication Services resource (globally unique).')
@minLength(1)
@maxLength(63)
param name string

@description('Name of the Event Grid system topic on the Communication Services resource.')
@minLength(3)
@maxLength(128)
param systemTopicName string

@description('Where ACS stores chat data at rest, e.g. "United States", "Europe".')
param dataLocation string

@description('Tags for both resources.')
param tags object = {}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: name
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: 'global'
  tags: tags
  // Its own identity writes undeliverable events to the dead-letter container (rbac.bicep
  // grants it Storage Blob Data Contributor; the account takes no shared keys).
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: communication.id
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

output name string = communication.name
output id string = communication.id
output endpoint string = 'https://${communication.properties.hostName}'
output systemTopicName string = systemTopic.name
output systemTopicPrincipalId string = systemTopic.identity.principalId
