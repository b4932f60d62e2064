#!/usr/bin/env node
// Prints deploy/prometheus-rules.yaml as a PrometheusRule for the Prometheus
// operator, so the rules live in one file:
//   node tools/prometheus-rule.mjs [--namespace monitoring] | kubectl apply -f -
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const args = process.argv.slice(2);
const namespace = args.includes('--namespace') ? args[args.indexOf('--namespace') + 1] : undefined;
const rules = parse(readFileSync(fileURLToPath(new URL('../deploy/prometheus-rules.yaml', import.meta.url)), 'utf8'));
const resource = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'restorable', ...(namespace ? { namespace } : {}), labels: { 'app.kubernetes.io/name': 'restorable' } },
  spec: { groups: rules.groups },
};
process.stdout.write(`# generated from deploy/prometheus-rules.yaml by tools/prometheus-rule.mjs\n${stringify(resource)}`);
