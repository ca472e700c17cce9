import { toMermaid } from './diagram';
import type { StatusMachine } from './machine';

const INTRO = `# Status machines

Every status in cinderflow changes through one of these tables (\`libs/status-machines\`), applied
to the database as one conditional UPDATE (\`libs/persistence\`, \`applyTransition\`). The diagrams
are generated from the tables (\`npm run docs\`); a test fails when they differ.
Arrows into \`[*]\` mark terminal statuses; "previous" targets return a row to the status it had
when it left it (Cinder's \`previous_status\`). Admin reset-status events, allowed from nearly
everywhere, are listed in the tables but not drawn.`;

/** The documentation page, generated from the machines themselves. */
export function renderDocument(machines: readonly StatusMachine<string, string>[]): string {
  const sections = machines.map((machine) => {
    const rows = machine.eventNames.map((event) => {
      const t = machine.transition(event);
      const to = typeof t.to === 'string' ? t.to : `previous (${t.to.previous.join(', ')})`;
      const extra = [
        t.savePrevious ? 'saves previous' : '',
        t.undrawn ? 'not drawn' : '',
        t.requires?.length ? `needs ${t.requires.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      return `| \`${event}\` | ${t.label ?? ''} | ${t.from.join(', ')} | ${to} | ${extra} |`;
    });
    return [
      `## ${machine.name}`,
      '',
      '```mermaid',
      toMermaid(machine),
      '```',
      '',
      '| event | named | from | to | notes |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  });
  return `${[INTRO, ...sections].join('\n\n')}\n`;
}
