// Alerts and a workbook for a cutover, on the OpenTelemetry metrics the app sends to Application Insights
// (names in shared/telemetry.py; tests/infra/test_rules.py checks every name used here exists there).
// Log alerts query customMetrics: dead letters appearing, a run failing, 429s above a threshold, and the
// nightly run not finishing within a day.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Resource id of the Application Insights component the app sends telemetry to.')
param applicationInsightsId string

@description('Suffix of every name (the azd resource token).')
param resourceToken string

@description('E-mail address the alerts go to; empty: they show in the portal (Monitor > Alerts) only.')
param alertEmail string = ''

@description('429 answers from ACS and Twilio within 15 minutes that raise an alert.')
@minValue(1)
param throttleThreshold int = 500

var notify = !empty(alertEmail)

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (notify) {
  name: 'ag-cutover-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'cutover'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var rules = [
  {
    name: 'dead-letters'
    title: 'Webhook deliveries are being dead-lettered'
    description: 'A subscriber failed every attempt. Open the console (/api/console), read the last status and answer, fix the subscriber and replay.'
    severity: 2
    query: 'customMetrics | where name == "fanout.dead_letters" | summarize n = sum(valueSum)'
    operator: 'GreaterThan'
    threshold: 0
    frequency: 'PT5M'
    window: 'PT15M'
  }
  {
    name: 'run-failed'
    title: 'A migration run failed'
    description: 'A run ended failed. The console lists its failed conversations with their reasons; fix and start a run for them.'
    severity: 1
    query: 'customMetrics | where name == "migration.runs" and tostring(customDimensions["migration.run.status"]) == "failed" | summarize n = sum(valueSum)'
    operator: 'GreaterThan'
    threshold: 0
    frequency: 'PT5M'
    window: 'PT15M'
  }
  {
    name: 'throttled'
    title: 'ACS or Twilio answer many 429s'
    description: 'More 429s than expected: lower EXPORT_CONCURRENCY or check that nothing else shares the ACS resource or Twilio account.'
    severity: 2
    query: 'customMetrics | where name == "migration.throttled" | summarize n = sum(valueSum)'
    operator: 'GreaterThan'
    threshold: throttleThreshold
    frequency: 'PT5M'
    window: 'PT15M'
  }
  {
    name: 'nightly-missing'
    title: 'No nightly sync finished in the last day'
    description: 'The nightly timer did not run or its run did not finish: check NIGHTLY_SCHEDULE, the function app state and the migration queue.'
    severity: 2
    query: 'customMetrics | where name == "migration.runs" and tostring(customDimensions["migration.run.kind"]) == "nightly" | summarize n = sum(valueSum)'
    operator: 'LessThan'
    threshold: 1
    frequency: 'PT1H'
    window: 'P1D'
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for rule in rules: {
  name: 'alert-${rule.name}-${resourceToken}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: rule.title
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: rule.frequency
    windowSize: rule.window
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Total'
          metricMeasureColumn: 'n'
          operator: rule.operator
          threshold: rule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: notify ? [
        actionGroup.id
      ] : []
    }
  }
}]

var panels = [
  {
    title: 'Messages copied per 5 minutes'
    query: 'customMetrics | where name == "migration.messages.copied" | summarize messages = sum(valueSum) by bin(timestamp, 5m) | render timechart'
  }
  {
    title: 'Conversations settled, by outcome and run'
    query: 'customMetrics | where name == "migration.conversations" | summarize conversations = sum(valueSum) by run = tostring(customDimensions["migration.run.id"]), outcome = tostring(customDimensions["outcome"]) | order by run desc'
  }
  {
    title: 'Runs finished and how long they took'
    query: 'customMetrics | where name == "migration.run.duration" | project timestamp, kind = tostring(customDimensions["migration.run.kind"]), status = tostring(customDimensions["migration.run.status"]), minutes = round(valueSum / valueCount / 60, 1) | order by timestamp desc'
  }
  {
    title: '429s and seconds spent waiting on them'
    query: 'customMetrics | where name in ("migration.throttled", "migration.throttle.wait") | summarize value = sum(valueSum) by name, service = tostring(customDimensions["peer.service"]), bin(timestamp, 5m) | render timechart'
  }
  {
    title: 'Webhook deliveries by outcome'
    query: 'customMetrics | where name == "fanout.deliveries" | summarize deliveries = sum(valueSum) by outcome = tostring(customDimensions["outcome"]), bin(timestamp, 5m) | render timechart'
  }
  {
    title: 'Delivery latency (mean seconds per attempt) and dead letters'
    query: 'customMetrics | where name in ("fanout.delivery.duration", "fanout.dead_letters") | summarize value = iff(name == "fanout.dead_letters", sum(valueSum), sum(valueSum) / sum(valueCount)) by name, bin(timestamp, 5m) | render timechart'
  }
  {
    title: 'ACS tokens issued'
    query: 'customMetrics | where name == "tokens.issued" | summarize tokens = sum(valueSum) by route = tostring(customDimensions["token.route"]), bin(timestamp, 5m) | render timechart'
  }
]

var workbookItems = [for (panel, index) in panels: {
  type: 3
  name: 'panel-${index}'
  content: {
    version: 'KqlItem/1.0'
    title: panel.title
    query: panel.query
    size: 0
    timeContext: {
      durationMs: 86400000
    }
    queryType: 0
    resourceType: 'microsoft.insights/components'
  }
}]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsightsId, 'cutover-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Twilio to ACS cutover'
    category: 'workbook'
    sourceId: applicationInsightsId
    serializedData: string({
      version: 'Notebook/1.0'
      items: concat([
        {
          type: 1
          name: 'intro'
          content: {
            json: '## Twilio to ACS cutover\nRuns, throughput, 429s, webhook deliveries and tokens from the app\'s OpenTelemetry metrics. The console at /api/console shows the same runs live and lets you act on them.'
          }
        }
      ], workbookItems)
      isLocked: false
    })
  }
}

output alertRuleNames array = [for (rule, index) in rules: alerts[index].name]
output workbookId string = workbook.id
