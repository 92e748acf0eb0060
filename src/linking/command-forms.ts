import { z } from 'zod';
import type { CommandDefinition } from '../connectors';

/** One input of a command's form, read off the command's own argument schema. */
export type CommandField =
  | { kind: 'number'; label: string; min: number | undefined; max: number | undefined; step: number; value: number | undefined }
  | { kind: 'choice'; label: string; options: string[]; value: string | undefined }
  | { kind: 'text'; label: string; maxLength: number; value: string | undefined };

export interface CommandForm {
  name: string;
  /** "Set heating setpoint" */
  title: string;
  fields: CommandField[];
}

type JsonSchema = {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  prefixItems?: JsonSchema[];
  title?: string;
  description?: string;
};

/** "setHeatingSetpoint" → "Set heating setpoint". */
export function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The attribute a one-argument `setX` command changes, when the device reports it: its current value fills the field. */
function attributeFor(command: string): string | undefined {
  const match = /^set([A-Z]\w*)$/.exec(command);
  return match?.[1] ? match[1].charAt(0).toLowerCase() + match[1].slice(1) : undefined;
}

function fieldOf(item: JsonSchema, label: string, current: unknown): CommandField | undefined {
  const name = item.title ?? item.description ?? label;
  if ((item.type === 'number' || item.type === 'integer') && item.enum === undefined) {
    return {
      kind: 'number',
      label: name,
      min: item.minimum,
      max: item.maximum,
      step: item.type === 'integer' ? 1 : 0.5,
      value: typeof current === 'number' ? current : undefined,
    };
  }
  if (item.type === 'string' && Array.isArray(item.enum) && item.enum.every((v) => typeof v === 'string')) {
    return { kind: 'choice', label: name, options: item.enum as string[], value: typeof current === 'string' ? current : undefined };
  }
  if (item.type === 'string') {
    return { kind: 'text', label: name, maxLength: item.maxLength ?? 200, value: typeof current === 'string' ? current : undefined };
  }
  return undefined;
}

/**
 * The forms for a device's commands, derived from each command's zod schema (through its JSON
 * Schema), so a connector's commands appear without page code of their own. A command whose
 * arguments a form cannot express (objects, booleans, arrays) is left to the API.
 */
export function commandForms(
  commands: Readonly<Record<string, CommandDefinition>>,
  device: { type: string; attributes: Readonly<Record<string, unknown>> },
): CommandForm[] {
  const forms: CommandForm[] = [];
  for (const [name, command] of Object.entries(commands)) {
    if (command.types && !command.types.includes(device.type)) continue;
    let schema: JsonSchema;
    try {
      schema = z.toJSONSchema(command.input, { io: 'input', unrepresentable: 'throw' }) as JsonSchema;
    } catch {
      continue;
    }
    if (schema.type !== 'array' || !Array.isArray(schema.prefixItems)) continue;
    const items = schema.prefixItems;
    const attribute = attributeFor(name);
    const only = items.length === 1;
    const fields = items.map((item, i) =>
      fieldOf(
        item,
        only && attribute ? humanize(attribute) : `Value ${i + 1}`,
        only && attribute ? device.attributes[attribute] : undefined,
      ),
    );
    if (fields.some((f) => f === undefined)) continue;
    forms.push({ name, title: humanize(name), fields: fields as CommandField[] });
  }
  return forms;
}

/**
 * The posted form (`arg0`, `arg1`, … as strings) as the command's argument array: numbers parsed,
 * an empty number left as NaN, so the command's own schema rejects it with its own message.
 */
export function argumentsFrom(form: CommandForm, body: Readonly<Record<string, unknown>>): unknown[] {
  return form.fields.map((field, i) => {
    const raw = body[`arg${i}`];
    const text = typeof raw === 'string' ? raw.trim() : undefined;
    if (field.kind === 'number') return text === undefined || text === '' ? Number.NaN : Number(text);
    return text;
  });
}
