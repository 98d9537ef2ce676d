import { OperationSection } from "./operation-section";
import { ReferenceSection } from "./reference-section";
import type { EndpointGroup } from "./sections";

/** One tag's endpoints, under the tag's heading (anchored at the group's id). */
export function EndpointGroupSection({ group, origin }: { group: EndpointGroup; origin: string }) {
  return (
    <ReferenceSection id={group.id} title={group.name} description={group.description}>
      {group.ops.map((op) => (
        <OperationSection key={op.id} op={op} origin={origin} />
      ))}
    </ReferenceSection>
  );
}
