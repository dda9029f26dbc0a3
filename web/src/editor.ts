/**
 * The SQL editor: CodeMirror 6 with a ClickHouse dialect (its keywords, types and common functions are
 * highlighted) and completion of the warehouse's table and column names.
 */
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { sql, SQLDialect } from '@codemirror/lang-sql';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers, placeholder } from '@codemirror/view';

const keywords = `select from where group by order limit offset having with as and or not in is null like ilike between
case when then else end join inner left right full outer cross on using union all distinct any asof array global
final prewhere sample settings format totals rollup cube interval exists show describe desc explain tables databases
create table view drop alter insert into values delete update truncate rename system kill optimize engine partition
primary key ttl if asc nulls first last fill step window over rows range preceding following current row qualify
except intersect materialized`;

const types = `UInt8 UInt16 UInt32 UInt64 UInt128 UInt256 Int8 Int16 Int32 Int64 Int128 Int256 Float32 Float64
Decimal Decimal32 Decimal64 Decimal128 String FixedString UUID Date Date32 DateTime DateTime64 Enum8 Enum16 Array
Tuple Map Nullable LowCardinality Bool IPv4 IPv6 JSON`;

const builtin = `count sum avg min max any anyLast argMin argMax uniq uniqExact uniqCombined quantile quantiles median
groupArray groupUniqArray topK countIf sumIf avgIf minIf maxIf round floor ceil abs toDate toDateTime toDateTime64
toStartOfMinute toStartOfFiveMinutes toStartOfFifteenMinutes toStartOfHour toStartOfDay toStartOfWeek
toStartOfMonth toYear toMonth toDayOfWeek toHour toMinute now today yesterday dateDiff formatDateTime toTimeZone
toString toUInt32 toInt64 toFloat64 toDecimal64 concat substring lower upper trim length position replaceAll
splitByChar arrayJoin has coalesce ifNull nullIf if multiIf greatest least cityHash64 sipHash64 runningDifference
bar formatReadableSize`;

export const clickhouse = SQLDialect.define({
  keywords,
  types,
  builtin,
  backslashEscapes: true,
  doubleDollarQuotedStrings: false,
  identifierQuotes: '`"',
  operatorChars: '*+-%<>!=&|/^~',
});

export interface Editor {
  view: EditorView;
  setSchema(tables: Record<string, string[]>): void;
  text(): string;
  setText(text: string): void;
}

export function createEditor(parent: HTMLElement, doc: string, onRun: () => void): Editor {
  const language = new Compartment();
  const lang = (tables: Record<string, string[]>) =>
    sql({ dialect: clickhouse, schema: tables, upperCaseKeywords: true });
  const run = () => {
    onRun();
    return true;
  };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        history(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        autocompletion({ activateOnTyping: true }),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        placeholder('SELECT … (Ctrl-Enter runs)'),
        Prec.highest(
          keymap.of([
            { key: 'Mod-Enter', run },
            { key: 'Shift-Enter', run },
          ]),
        ),
        keymap.of([
          ...completionKeymap,
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...historyKeymap,
          ...searchKeymap,
          indentWithTab,
        ]),
        language.of(lang({})),
        EditorView.lineWrapping,
      ],
    }),
  });
  return {
    view,
    setSchema: (tables) => view.dispatch({ effects: language.reconfigure(lang(tables)) }),
    text: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
  };
}
