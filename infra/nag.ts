import type { Stack } from 'aws-cdk-lib';

/**
 * A resolved value as cdk-nag spells it in finding ids (Ref X -> <X>, Fn::GetAtt X.Y -> <X.Y>,
 * Fn::Join flattened), so an acknowledgement names exactly one finding whether the stack is
 * environment-agnostic or not.
 */
function nagFlatten(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown[]; 'Fn::Join'?: [string, unknown[]] };
    if (v.Ref !== undefined) return `<${nagFlatten(v.Ref)}>`;
    if (v['Fn::GetAtt'] !== undefined) return `<${v['Fn::GetAtt'].map(nagFlatten).join('.')}>`;
    if (v['Fn::Join'] !== undefined) return v['Fn::Join'][1].map(nagFlatten).join(v['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}

/** The finding-id spelling of a (possibly tokenized) value in `stack`. */
export function nagResource(stack: Stack, value: string): string {
  return nagFlatten(stack.resolve(value));
}
