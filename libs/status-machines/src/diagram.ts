import type { StatusMachine } from './machine';

/** Mermaid state ids can't hold dashes or spaces; statuses like `in-use` can. */
function id(status: string): string {
  return status.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * The machine as a Mermaid state diagram: one arrow per (from, to, event) of its table, so the
 * picture can never say something the code does not do.
 */
export function toMermaid(machine: StatusMachine<string, string>): string {
  const lines = ['stateDiagram-v2'];
  for (const status of machine.statuses) {
    if (id(status) !== status) lines.push(`    state "${status}" as ${id(status)}`);
  }
  lines.push(`    [*] --> ${id(machine.initial)}`);
  for (const edge of machine.edges({ drawnOnly: true })) {
    lines.push(`    ${id(edge.from)} --> ${id(edge.to)}: ${edge.label.replace(/:/g, ' ')}`);
  }
  for (const status of machine.terminal) {
    lines.push(`    ${id(status)} --> [*]`);
  }
  return lines.join('\n');
}
