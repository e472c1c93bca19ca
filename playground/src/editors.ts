/** The two CodeMirror views (source and generated code) and line highlighting shared by both. */
import { basicSetup } from "codemirror";
import { javascript } from "@codemirror/lang-javascript";
import { EditorState, StateEffect, StateField, type Extension, type Range } from "@codemirror/state";
import { Decoration, EditorView, type DecorationSet } from "@codemirror/view";
import { setDiagnostics, type Diagnostic } from "@codemirror/lint";

/** Lines (1-based) to paint, per CSS class: "hl-state" for hover, "hl-rerun" for re-executed code. */
type Highlights = Record<string, readonly number[]>;

const setHighlights = StateEffect.define<Highlights>();

const highlightField = StateField.define<{ marks: Highlights; decorations: DecorationSet }>({
  create: () => ({ marks: {}, decorations: Decoration.none }),
  update(value, tr) {
    let marks = value.marks;
    for (const effect of tr.effects) if (effect.is(setHighlights)) marks = { ...marks, ...effect.value };
    if (marks === value.marks && !tr.docChanged) return value;
    return { marks, decorations: buildDecorations(tr.state, marks) };
  },
  provide: (field) => EditorView.decorations.from(field, (value) => value.decorations),
});

function buildDecorations(state: EditorState, marks: Highlights): DecorationSet {
  const ranges: Range<Decoration>[] = [];
  for (const [cls, lines] of Object.entries(marks)) {
    for (const line of new Set(lines)) {
      if (line < 1 || line > state.doc.lines) continue;
      ranges.push(Decoration.line({ class: cls }).range(state.doc.line(line).from));
    }
  }
  return Decoration.set(ranges, true);
}

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "13px" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" },
  ".hl-state": { backgroundColor: "rgba(99, 102, 241, 0.16)" },
  ".hl-rerun": { backgroundColor: "rgba(245, 158, 11, 0.22)" },
});

const typescript: Extension = javascript({ typescript: true });

export function createSourceEditor(parent: HTMLElement, doc: string, onChange: (code: string) => void): EditorView {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        basicSetup,
        typescript,
        theme,
        highlightField,
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
}

export function createOutputViewer(parent: HTMLElement): EditorView {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: "",
      extensions: [basicSetup, typescript, theme, highlightField, EditorState.readOnly.of(true), EditorView.editable.of(false)],
    }),
  });
}

export function replaceDoc(view: EditorView, text: string): void {
  if (view.state.doc.toString() === text) return;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

/** Paints whole lines; `reveal` scrolls the first one into view. */
export function highlightLines(view: EditorView, cls: "hl-state" | "hl-rerun", lines: readonly number[], reveal = false): void {
  view.dispatch({ effects: setHighlights.of({ [cls]: lines }) });
  const first = lines[0];
  if (reveal && first !== undefined && first <= view.state.doc.lines) {
    view.dispatch({ effects: EditorView.scrollIntoView(view.state.doc.line(first).from, { y: "nearest" }) });
  }
}

export interface LineDiagnostic {
  severity: "error" | "warning";
  message: string;
  /** 1-based */
  line: number;
  /** 0-based */
  column: number;
}

/** Shows compiler diagnostics as lint markers (underline + gutter + tooltip). */
export function showDiagnostics(view: EditorView, diagnostics: readonly LineDiagnostic[]): void {
  const doc = view.state.doc;
  const marks: Diagnostic[] = diagnostics.map((d) => {
    const line = doc.line(Math.min(Math.max(d.line, 1), doc.lines));
    const from = Math.min(line.from + Math.max(d.column, 0), line.to);
    const wordEnd = /^[\w$.]+/.exec(doc.sliceString(from, line.to))?.[0].length ?? 0;
    return { from, to: Math.max(from + wordEnd, Math.min(from + 1, line.to)), severity: d.severity, message: d.message };
  });
  view.dispatch(setDiagnostics(view.state, marks));
}
