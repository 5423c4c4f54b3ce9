/** Cases: evidence files, results and notes grouped under one case, and its report. */
import { useState } from 'preact/hooks';
import { api, getBlob, type CaseRecord } from '../api';
import { PageHead } from '../components/Layout';
import { Card, Facts, SelectField, TextField } from '../components/Fields';
import { DropZone } from '../components/DropZone';
import { DecisionBadge } from '../components/Badge';
import { ErrorBox, Empty, Loading } from '../components/Notice';
import { useLoad, useTitle } from '../hooks';
import { errorText, fmtAgo, fmtBytes, fmtNumber, fmtTime, shortHash } from '../format';
import { href, navigate } from '../router';

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

function CaseTable({ cases }: { cases: CaseRecord[] }) {
  return (
    <div class="table-wrap">
      <table class="table" id="case-table">
        <caption class="visually-hidden">Cases</caption>
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">Title</th>
            <th scope="col">Examiner</th>
            <th scope="col">Opened</th>
          </tr>
        </thead>
        <tbody>
          {cases.map((c) => (
            <tr key={c.name}>
              <th scope="row">
                <a href={href('cases', c.name)}>{c.name}</a>
              </th>
              <td>{text(c.title) ?? '—'}</td>
              <td>{text(c.examiner) ?? '—'}</td>
              <td class="muted nowrap" title={fmtTime(c.createdAt)}>
                {fmtAgo(c.createdAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CreateForm() {
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const [examiner, setExaminer] = useState('');
  const [question, setQuestion] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const c = await api.createCase({
        name: name.trim(),
        title: title.trim() || undefined,
        examiner: examiner.trim() || undefined,
        question: question.trim() || undefined,
      });
      navigate('cases', c?.name ?? name.trim());
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
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
      <div class="field">
        <label for="case-question">Question to answer</label>
        <textarea
          id="case-question"
          rows={2}
          value={question}
          placeholder="e.g. Were the questioned photos taken with the seized camera?"
          onInput={(e) => setQuestion((e.currentTarget as HTMLTextAreaElement).value)}
        />
      </div>
      <ErrorBox error={error} />
      <div class="actions">
        <button type="submit" class="btn" disabled={busy}>
          Open case
        </button>
      </div>
    </form>
  );
}

export function CasesPage() {
  useTitle('Cases');
  const list = useLoad(() => api.cases(), []);
  return (
    <>
      <PageHead title="Cases" />
      <Card title="Cases" id="cases-list">
        <ErrorBox error={list.error} />
        {!list.data ? (
          <Loading what="cases" />
        ) : list.data.length === 0 ? (
          <Empty>No cases yet.</Empty>
        ) : (
          <CaseTable cases={list.data} />
        )}
      </Card>
      <Card title="Open a case" id="case-new">
        <CreateForm />
      </Card>
    </>
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

export function CasePage({ name }: { name: string }) {
  useTitle(name);
  const detail = useLoad(() => api.caseDetail(name), [name]);
  const [files, setFiles] = useState<File[]>([]);
  const [role, setRole] = useState('questioned');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();

  const run = async (what: string, fn: () => Promise<unknown>) => {
    setBusy(what);
    setError(undefined);
    try {
      await fn();
      detail.reload();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(undefined);
    }
  };

  const d = detail.data;
  const c = d?.case;
  return (
    <>
      <PageHead title={c?.title ? `${name}: ${c.title}` : name} trail={[['Cases', href('cases')]]}>
        <button
          type="button"
          class="btn btn-secondary"
          disabled={!!busy}
          onClick={() => run('report', () => download(api.reportPath(name, 'html'), `${name}-report.html`))}
        >
          Export report (HTML)
        </button>
        <button
          type="button"
          class="btn btn-secondary"
          disabled={!!busy}
          onClick={() => run('report', () => download(api.reportPath(name, 'pdf'), `${name}-report.pdf`))}
        >
          Export PDF
        </button>
      </PageHead>
      <ErrorBox error={detail.error ?? error} />
      {!c || !d ? (
        !detail.error && <Loading what="the case" />
      ) : (
        <>
          <div class="grid-2">
            <Card title="Case">
              <Facts
                items={[
                  ['Reference', c.name],
                  ['Title', text(c.title)],
                  ['Question', text(c.question)],
                  ['Examiner', text(c.examiner)],
                  [
                    'Cameras',
                    Array.isArray(c.cameras) && c.cameras.length ? c.cameras.join(', ') : undefined,
                  ],
                  ['Opened', fmtTime(c.createdAt)],
                ]}
              />
            </Card>
            <Card title="Add evidence files" id="case-add-files">
              <form
                class="form"
                onSubmit={async (e) => {
                  e.preventDefault();
                  if (files.length === 0) return setError('Choose the files to add.');
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
                <div class="actions">
                  <button type="submit" class="btn" disabled={!!busy}>
                    {busy === 'files' ? 'Adding…' : 'Add files'}
                  </button>
                </div>
              </form>
            </Card>
          </div>
          <Card title={`Evidence files (${d.files.length})`} id="case-files-list">
            {d.files.length === 0 ? (
              <Empty>No files yet.</Empty>
            ) : (
              <div class="table-wrap">
                <table class="table" id="case-files-table">
                  <thead>
                    <tr>
                      <th scope="col">File</th>
                      <th scope="col">Role</th>
                      <th scope="col">SHA-256</th>
                      <th scope="col" class="num">
                        Pixels
                      </th>
                      <th scope="col">Added</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.files.map((f, i) => (
                      <tr key={`${f.sha256}-${i}`}>
                        <td class="path">
                          {text(f.name) ?? text(f.originalName) ?? text(f.path)?.split('/').pop() ?? '—'}
                        </td>
                        <td>
                          <span class={`badge ${f.role === 'questioned' ? 'badge-warn' : 'badge-info'}`}>
                            {f.role}
                          </span>
                        </td>
                        <td>
                          <code title={f.sha256}>{shortHash(f.sha256, 16)}</code>
                        </td>
                        <td class="num nowrap">
                          {typeof f.width === 'number' ? `${f.width}×${f.height}` : fmtBytes(f.bytes)}
                        </td>
                        <td class="muted nowrap">{fmtAgo(f.addedAt ?? f.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          <Card title={`Results (${d.matches.length})`} id="case-results">
            {d.matches.length === 0 ? (
              <Empty>No comparisons recorded for this case's files yet.</Empty>
            ) : (
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Photo</th>
                      <th scope="col">Camera</th>
                      <th scope="col" class="num">
                        PCE
                      </th>
                      <th scope="col">Decision</th>
                      <th scope="col">When</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.matches.map((m) => (
                      <tr key={m.id}>
                        <td class="path" title={m.imagePath}>
                          {m.imagePath.split('/').pop()}
                        </td>
                        <td>
                          <a href={href('cameras', m.camera)}>{m.camera}</a>
                        </td>
                        <td class="num">{fmtNumber(m.pce, 1)}</td>
                        <td>
                          <DecisionBadge decision={m.decision} />
                        </td>
                        <td class="muted nowrap">{fmtAgo(m.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          <Card title="Notes" id="case-notes">
            {d.notes.length === 0 ? (
              <Empty>No notes yet.</Empty>
            ) : (
              <ol class="notes">
                {d.notes.map((n, i) => (
                  <li key={n.id ?? i}>
                    <p class="note-meta muted small">
                      {fmtTime(n.createdAt)}
                      {(n.author ?? n.actor) && ` · ${n.author ?? n.actor}`}
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
              <div class="field">
                <label for="case-note">New note</label>
                <textarea
                  id="case-note"
                  rows={3}
                  value={note}
                  onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)}
                />
              </div>
              <div class="actions">
                <button type="submit" class="btn" disabled={!!busy || !note.trim()}>
                  {busy === 'note' ? 'Adding…' : 'Add note'}
                </button>
              </div>
            </form>
          </Card>
        </>
      )}
    </>
  );
}
