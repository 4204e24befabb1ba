// A strict little XML reader for the charts' tests: it fails on unbalanced tags, stray '<' or '&', and
// malformed attributes, and gives back a tree to query.
import assert from 'node:assert/strict';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string, where: string): string {
  assert.ok(!/&(?!(amp|lt|gt|quot|apos);)/.test(s), `bare '&' in ${where}: ${s}`);
  return s.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITY[name]);
}

function parseAttrs(source: string, tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const rest = source.replace(/\s+([A-Za-z_][\w:.-]*)="([^"<]*)"/g, (_, key: string, value: string) => {
    assert.ok(!(key in attrs), `duplicate attribute ${key} on <${tag}>`);
    attrs[key] = decodeEntities(value, `attribute ${key} of <${tag}>`);
    return '';
  });
  assert.equal(rest.trim(), '', `malformed attributes on <${tag}>: ${source}`);
  return attrs;
}

/** Parses a whole document (an optional XML declaration, then one root element). */
export function parseXml(doc: string): XmlElement {
  const token = /<\?xml[^?]*\?>|<(\/?)([A-Za-z][\w:.-]*)((?:\s+[^\s=/>]+="[^"]*")*)\s*(\/?)>|([^<]+)/y;
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  let at = 0;
  while (at < doc.length) {
    token.lastIndex = at;
    const m = token.exec(doc);
    assert.ok(m, `not XML at offset ${at}: ${doc.slice(at, at + 40)}`);
    at = token.lastIndex;
    const [, closing, name, attrs, selfClosing, text] = m;
    const top = stack[stack.length - 1];
    if (text !== undefined) {
      top.text += decodeEntities(text, `text of <${top.name}>`);
    } else if (closing) {
      assert.equal(name, top.name, `</${name}> closes <${top.name}>`);
      stack.pop();
    } else if (name) {
      const element: XmlElement = { name, attrs: parseAttrs(attrs, name), children: [], text: '' };
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    }
  }
  assert.equal(stack.length, 1, `unclosed <${stack[stack.length - 1].name}>`);
  const elements = root.children;
  assert.equal(elements.length, 1, 'a document has one root element');
  assert.equal(root.text.trim(), '', 'text outside the root element');
  return elements[0];
}

/** Every element below `node` (depth first) with this tag name. */
export function findAll(node: XmlElement, name: string): XmlElement[] {
  return node.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}

/** Every element below `node` whose class attribute is `cls`. */
export function byClass(node: XmlElement, cls: string): XmlElement[] {
  return node.children.flatMap((c) => [...(c.attrs.class === cls ? [c] : []), ...byClass(c, cls)]);
}

export const num = (e: XmlElement, attr: string): number => {
  assert.ok(attr in e.attrs, `<${e.name}> has no ${attr}`);
  return Number(e.attrs[attr]);
};
