import { ApiObject, JsonPatch } from 'cdk8s';

/**
 * Applies JSON patches to an object's final JSON.
 *
 * `ApiObject.addJsonPatch` is not enough where the generated L1 class's `toJson` re-serializes a field through its
 * typed schema after the patches ran: a resource quantity added as a plain string (e.g. `ephemeral-storage: 128Mi`)
 * is dropped there. These patches run last.
 */
export function addFinalJsonPatch(target: ApiObject, ...ops: JsonPatch[]): void {
  const toJson = target.toJson.bind(target);
  target.toJson = () => JsonPatch.apply(toJson(), ...ops);
}
