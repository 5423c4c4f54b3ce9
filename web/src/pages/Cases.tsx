/** Cases: evidence files, results and notes grouped under one case, and its report. */
import { useState } from 'preact/hooks';
import { api, getBlob, type CaseFile, type CaseRecord, type MatchRecord } from '../api';
import { PageHead } from '../components/Layout';
import { ListPage, type ListTable } from '../components/ListPage';
import { Card, Facts, SelectField, Submit, TextAreaField, TextField } from '../components/Fields';
import { DropZone } from '../components/DropZone';
import { DecisionBadge } from '../components/Badge';
import { Await, ErrorBox, Empty } from '../components/Notice';
import { DataTable, agoColumn, linkColumn, type Column } from '../components/Table';
import { useAction, useLoad, useTitle } from '../hooks';
import { fmtAgo, fmtNumber, fmtTime, shortHash } from '../format';
import { href, navigate } from '../router';

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

const CASE_TABLE: ListTable<CaseRecord> = {
  id: 'case-table',
  caption: 'Cases',
  rowKey: (c) => c.name,
  columns: [
    linkColumn('Case', 'cases', (c) => c.name),
    { head: 'Title', cell: (c) => text(c.title) ?? '—' },
    { head: 'Examiner', cell: (c) => text(c.examiner) ?? '—' },
    agoColumn('Opened', (c) => c.createdAt),
  ],
};

function CreateForm() {
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const [examiner, setExaminer] = useState('');
  const [question, setQuestion] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const c = await api.createCase({
        name: name.trim(),
        title: title.trim() || undefined,
        examiner: examiner.trim() || undefined,
        question: question.trim() || undefined,
      });
      navigate('cases', c?.name ?? name.trim());
    });
  };
  return (
    <form class="form" onSubmit={submit}>
      <div class="form-grid">
        <TextField
          id="case-name"
          label="Case reference"
          value={name}
          onInput={setName}
          required
          placeholder="e.g. 2025-0142"
        />
        <TextField id="case-title" label="Title" value={title} onInput={setTitle} />
        <TextField id="case-examiner" label="Examiner" value={examiner} onInput={setExaminer} />
      </div>
      <TextAreaField
        id="case-question"
        label="Question to answer"
        rows={2}
        value={question}
        placeholder="e.g. Were the questioned photos taken with the seized camera?"
        onInput={setQuestion}
      />
      <Submit text="Open case" busy={!!action.busy} error={action.error} />
    </form>
  );
}

export function CasesPage() {
  useTitle('Cases');
  const list = useLoad(() => api.cases(), []);
  return (
    <ListPage
      title="Cases"
      list={list}
      card="Cases"
      id="cases-list"
      what="cases"
      empty="No cases yet."
      table={CASE_TABLE}
    >
      <Card title="Open a case" id="case-new">
        <CreateForm />
      </Card>
    </ListPage>
  );
}

async function download(path: string, filename: string): Promise<void> {
  const blob = await getBlob(path);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The files of a case: the name each was added under, its role, hash and size. */
const FILE_COLUMNS: Column<CaseFile>[] = [
  { head: 'File', cellClass: 'path', cell: (f) => text(f.path)?.split('/').pop() ?? '—' },
  {
    head: 'Role',
    cell: (f) => (
      <span class={`badge ${f.role === 'questioned' ? 'badge-warn' : 'badge-info'}`}>{f.role}</span>
    ),
  },
  { head: 'SHA-256', cell: (f) => <code title={f.sha256}>{shortHash(f.sha256, 16)}</code> },
  { head: 'Pixels', class: 'num', cellClass: 'num nowrap', cell: (f) => `${f.width}×${f.height}` },
  { head: 'Added', cellClass: 'muted nowrap', cell: (f) => fmtAgo(f.addedAt) },
];

/** The comparisons recorded for the case's files. */
const MATCH_COLUMNS: Column<MatchRecord>[] = [
  { head: 'Photo', cellClass: 'path', title: (m) => m.imagePath, cell: (m) => m.imagePath.split('/').pop() },
  { head: 'Camera', cell: (m) => <a href={href('cameras', m.camera)}>{m.camera}</a> },
  { head: 'PCE', class: 'num', cell: (m) => fmtNumber(m.pce, 1) },
  { head: 'Decision', cell: (m) => <DecisionBadge decision={m.decision} /> },
  { head: 'When', cellClass: 'muted nowrap', cell: (m) => fmtAgo(m.createdAt) },
];

const REPORTS: ['html' | 'pdf', string][] = [
  ['html', 'Export report (HTML)'],
  ['pdf', 'Export PDF'],
];

export function CasePage({ name }: { name: string }) {
  useTitle(name);
  const detail = useLoad(() => api.caseDetail(name), [name]);
  const [files, setFiles] = useState<File[]>([]);
  const [role, setRole] = useState('questioned');
  const [note, setNote] = useState('');
  const action = useAction();
  const busy = action.busy;

  const run = (what: string, fn: () => Promise<unknown>) =>
    action.run(async () => {
      await fn();
      detail.reload();
    }, what);

  const c = detail.data?.case;
  return (
    <>
      <PageHead title={c?.title ? `${name}: ${c.title}` : name} trail={[['Cases', href('cases')]]}>
        {REPORTS.map(([format, label]) => (
          <button
            key={format}
            type="button"
            class="btn btn-secondary"
            disabled={!!busy}
            onClick={() =>
              run('report', () => download(api.reportPath(name, format), `${name}-report.${format}`))
            }
          >
            {label}
          </button>
        ))}
      </PageHead>
      <ErrorBox error={detail.error ?? action.error} />
      <Await data={detail.data} error={detail.error} what="the case">
        {(d) => (
          <>
            <div class="grid-2">
              <Card title="Case">
                <Facts
                  items={[
                    ['Reference', d.case.name],
                    ['Title', text(d.case.title)],
                    ['Question', text(d.case.question)],
                    ['Examiner', text(d.case.examiner)],
                    ['Cameras', d.case.cameras.length ? d.case.cameras.join(', ') : undefined],
                    ['Opened', fmtTime(d.case.createdAt)],
                  ]}
                />
              </Card>
              <Card title="Add evidence files" id="case-add-files">
                <form
                  class="form"
                  onSubmit={async (e) => {
                    e.preventDefault();
                    if (files.length === 0) return action.setError('Choose the files to add.');
                    if (await run('files', () => api.addCaseFiles(name, role, files))) setFiles([]);
                  }}
                >
                  <DropZone
                    id="case-files"
                    label="Evidence files (photos)"
                    multiple
                    files={files}
                    onFiles={setFiles}
                  />
                  <SelectField
                    id="case-role"
                    label="Role"
                    value={role}
                    onChange={setRole}
                    options={[
                      ['questioned', 'questioned (origin unknown)'],
                      ['reference', 'reference (from the seized camera)'],
                    ]}
                  />
                  <Submit text="Add files" busyText="Adding…" busy={busy === 'files'} disabled={!!busy} />
                </form>
              </Card>
            </div>
            <Card title={`Evidence files (${d.files.length})`} id="case-files-list">
              <DataTable
                id="case-files-table"
                rows={d.files}
                columns={FILE_COLUMNS}
                rowKey={(f, i) => `${f.sha256}-${i}`}
                empty="No files yet."
              />
            </Card>
            <Card title={`Results (${d.matches.length})`} id="case-results">
              <DataTable
                rows={d.matches}
                columns={MATCH_COLUMNS}
                rowKey={(m) => m.id}
                empty="No comparisons recorded for this case's files yet."
              />
            </Card>
            <Card title="Notes" id="case-notes">
              {d.notes.length === 0 ? (
                <Empty>No notes yet.</Empty>
              ) : (
                <ol class="notes">
                  {d.notes.map((n) => (
                    <li key={n.id}>
                      <p class="note-meta muted small">
                        {fmtTime(n.createdAt)}
                        {n.actor && ` · ${n.actor}`}
                      </p>
                      <p class="note-text">{n.text}</p>
                    </li>
                  ))}
                </ol>
              )}
              <form
                class="form"
                onSubmit={async (e) => {
                  e.preventDefault();
                  if (!note.trim()) return;
                  if (await run('note', () => api.addCaseNote(name, note.trim()))) setNote('');
                }}
              >
                <TextAreaField id="case-note" label="New note" rows={3} value={note} onInput={setNote} />
                <Submit
                  text="Add note"
                  busyText="Adding…"
                  busy={busy === 'note'}
                  disabled={!!busy || !note.trim()}
                />
              </form>
            </Card>
          </>
        )}
      </Await>
    </>
  );
}
