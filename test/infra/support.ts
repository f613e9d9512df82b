import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';
import { createApp } from '../../infra/app-factory.ts';
import type { CreatedApp } from '../../infra/app-factory.ts';
import type { StageConfigInput } from '../../infra/config.ts';

/** The three environments every template test runs against. */
export const STAGES_UNDER_TEST = ['dev', 'staging', 'prod'] as const;

/** The feature flags of cdk.json, so tests synthesize what `npx cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * Where a test file's syntheses go: an App without an outdir writes a cdk.outXXXXXX folder into
 * the temporary directory for every synthesis and never removes it. One folder per test file
 * (this module is loaded once per file), removed when the file ends.
 */
let synthRoot: string | undefined;
afterAll(() => {
  if (synthRoot !== undefined) rmSync(synthRoot, { recursive: true, force: true });
  synthRoot = undefined;
});

/** A fresh output folder for one synthesis, removed with the test file's. */
export function synthOutdir(): string {
  synthRoot ??= mkdtempSync(join(tmpdir(), 'ix-sequences-synth-'));
  return mkdtempSync(join(synthRoot, 'cdk.out-'));
}

export interface SynthOptions {
  /** Bundle the functions for real (slow: one esbuild run per function). Default false. */
  readonly bundle?: boolean;
  /** Environments to choose from instead of infra/config.ts. */
  readonly stages?: Record<string, StageConfigInput>;
  readonly outdir?: string;
}

export interface Synthesized extends CreatedApp {
  readonly template: Template;
  readonly json: CfnTemplate;
}

export function buildStage(stage: string | undefined, options: SynthOptions = {}): CreatedApp {
  const context: Record<string, unknown> = { ...cdkJsonContext() };
  if (stage !== undefined) context['stage'] = stage;
  // An empty list of stacks to bundle: assets are staged without running esbuild.
  if (options.bundle !== true) context['aws:cdk:bundling-stacks'] = [];
  return createApp({
    appProps: { context, outdir: options.outdir ?? synthOutdir() },
    ...(options.stages !== undefined ? { stages: options.stages } : {}),
  });
}

export function synthStage(stage: string | undefined, options: SynthOptions = {}): Synthesized {
  const created = buildStage(stage, options);
  const template = Template.fromStack(created.stack);
  return { ...created, template, json: template.toJSON() as CfnTemplate };
}

// ---- A typed view of the CloudFormation JSON (enough for these assertions) -------------------

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string[];
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, unknown>;
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export function resourcesOfType(json: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

export function props<T = Record<string, unknown>>(resource: CfnResource): T {
  return (resource.Properties ?? {}) as T;
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every statement of every IAM policy in the template: managed-by-CDK policies and role inline ones. */
export function iamStatements(json: CfnTemplate): { owner: string; statement: PolicyStatementJson }[] {
  const out: { owner: string; statement: PolicyStatementJson }[] = [];
  for (const [id, r] of resourcesOfType(json, 'AWS::IAM::Policy')) {
    const doc = props<{ PolicyDocument: { Statement: PolicyStatementJson[] } }>(r).PolicyDocument;
    for (const statement of doc.Statement) out.push({ owner: id, statement });
  }
  for (const [id, r] of resourcesOfType(json, 'AWS::IAM::Role')) {
    const inline = props<{ Policies?: { PolicyDocument: { Statement: PolicyStatementJson[] } }[] }>(r).Policies ?? [];
    for (const policy of inline) for (const statement of policy.PolicyDocument.Statement) out.push({ owner: id, statement });
  }
  return out;
}

/** The logical id a `{Ref}` or `{Fn::GetAtt}` points at, if the value is one. */
export function refTarget(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof v.Ref === 'string') return v.Ref;
  if (Array.isArray(v['Fn::GetAtt']) && typeof v['Fn::GetAtt'][0] === 'string') return v['Fn::GetAtt'][0];
  return undefined;
}

/** The logical id of the Lambda function whose FunctionName is `name`. */
export function functionLogicalId(json: CfnTemplate, name: string): string {
  const found = resourcesOfType(json, 'AWS::Lambda::Function').find(([, r]) => props(r)['FunctionName'] === name);
  if (found === undefined) throw new Error(`no function named ${name}`);
  return found[0];
}

/** "METHOD /full/path" for each API method, with the logical id of the function it integrates. */
export function apiRoutes(json: CfnTemplate): Map<string, { authorizationType: unknown; functionId: string | undefined; integrationType: unknown }> {
  const resources = Object.fromEntries(resourcesOfType(json, 'AWS::ApiGateway::Resource'));
  const pathOf = (resourceId: unknown): string => {
    const target = refTarget(resourceId);
    const resource = target === undefined ? undefined : resources[target];
    // The root resource is referenced as GetAtt RestApi.RootResourceId.
    if (resource === undefined) return '';
    const p = props<{ ParentId: unknown; PathPart: string }>(resource);
    return `${pathOf(p.ParentId)}/${p.PathPart}`;
  };
  const routes = new Map<string, { authorizationType: unknown; functionId: string | undefined; integrationType: unknown }>();
  for (const [, method] of resourcesOfType(json, 'AWS::ApiGateway::Method')) {
    const p = props<{ HttpMethod: string; ResourceId: unknown; AuthorizationType?: unknown; Integration?: { Type?: unknown; Uri?: unknown } }>(method);
    const uri = JSON.stringify(p.Integration?.Uri ?? null);
    const functionId = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(uri)?.[1];
    routes.set(`${p.HttpMethod} ${pathOf(p.ResourceId) || '/'}`, {
      authorizationType: p.AuthorizationType,
      functionId,
      integrationType: p.Integration?.Type,
    });
  }
  return routes;
}

/**
 * A template value with CloudFormation intrinsics rendered as readable markers (`<Ref:X>`,
 * `<GetAtt:X.Attr>`), Fn::Join flattened: enough to read a dashboard body or an ARN.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const target = refTarget(value);
  if (target !== undefined) {
    const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown[] };
    return v.Ref !== undefined ? `<Ref:${target}>` : `<GetAtt:${target}.${String(v['Fn::GetAtt']?.[1])}>`;
  }
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (join !== undefined) return join[1].map(flatten).join(join[0]);
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

export interface DashboardWidgetJson {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly metrics?: unknown[][];
    readonly alarms?: string[];
  };
}

/** The template's one dashboard, its body parsed. */
export function dashboardWidgets(json: CfnTemplate): DashboardWidgetJson[] {
  const dashboards = resourcesOfType(json, 'AWS::CloudWatch::Dashboard');
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
  const body = JSON.parse(flatten(props(dashboards[0]![1])['DashboardBody'])) as { widgets: DashboardWidgetJson[] };
  return body.widgets;
}

export interface MetricFilterJson {
  readonly FilterName: string;
  readonly FilterPattern: string;
  readonly LogGroupName: unknown;
  readonly MetricTransformations: {
    MetricName: string;
    MetricNamespace: string;
    MetricValue: string;
    Dimensions?: { Key: string; Value: string }[];
  }[];
}

export function metricFilters(json: CfnTemplate): MetricFilterJson[] {
  return resourcesOfType(json, 'AWS::Logs::MetricFilter').map(([, f]) => props<MetricFilterJson>(f));
}

/** The logical id of a function's log group. */
export function logGroupOf(json: CfnTemplate, functionName: string): string | undefined {
  const id = functionLogicalId(json, functionName);
  return refTarget(props<{ LoggingConfig: { LogGroup: unknown } }>(json.Resources[id]!).LoggingConfig.LogGroup);
}
