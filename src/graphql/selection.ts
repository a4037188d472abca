import { Kind, type GraphQLResolveInfo } from 'graphql';

/**
 * Whether the field being resolved selects `name` directly (a fragment counts as yes): a
 * page's total costs a count statement, run only when a client asks for it.
 */
export function selects(info: GraphQLResolveInfo, name: string): boolean {
  for (const node of info.fieldNodes) {
    for (const s of node.selectionSet?.selections ?? []) {
      if (s.kind !== Kind.FIELD || s.name.value === name) return true;
    }
  }
  return false;
}
