/**
 * Identify: drop a photo → PCE ranking against the fingerprint database with decisions, the
 * chosen CNN's top-5, EXIF and JPEG evidence, and the correlation surface around the PCE peak.
 */
import { useState } from 'preact/hooks';
import { api, type Candidate, type IdentifyResult, type InspectResult } from '../api';
import { PageHead } from '../components/Layout';
import { Card, Facts, SelectField, Submit, TextField } from '../components/Fields';
import { DropZone } from '../components/DropZone';
import { FilePreview } from '../components/AuthImage';
import { DecisionBadge, decisionOf } from '../components/Badge';
import { Chart } from '../components/Chart';
import { Empty } from '../components/Notice';
import { DataTable, type Column } from '../components/Table';
import { useAction, useLoad, useTitle } from '../hooks';
import { fmtBytes, fmtNumber, fmtPercent, pfaParts, shortHash } from '../format';
import { href } from '../router';
import { surfaceSpec, topSpec } from '../charts';

/** A false-alarm probability, 2.8 × 10⁻⁵¹ with a real superscript. */
function Pfa({ c }: { c: Candidate }) {
  const parts = pfaParts(c.log10PFalseAlarm, c.pFalseAlarm);
  if (!parts) return <>—</>;
  const [m, e] = parts;
  if (e === null) return <>{m}</>;
  return (
    <>
      {m} × 10<sup>{String(e).replace('-', '−')}</sup>
    </>
  );
}

function Verdict({ r }: { r: IdentifyResult }) {
  const best = r.candidates[0];
  const matches = r.candidates.filter((c) => c.match);
  if (best && best.match)
    return (
      <div class="verdict verdict-match" role="status">
        <span class="verdict-mark" aria-hidden="true">
          ✔
        </span>
        <div>
          <p class="verdict-title">
            Match: <a href={href('cameras', best.camera)}>{best.camera}</a>
          </p>
          <p class="verdict-detail">
            PCE {fmtNumber(best.pce, 1)} above the threshold; false-alarm probability <Pfa c={best} />.
            {matches.length > 1 &&
              ` ${matches.length - 1} other camera(s) also pass the threshold: examine them.`}
          </p>
        </div>
      </div>
    );
  return (
    <div class="verdict verdict-nomatch" role="status">
      <span class="verdict-mark" aria-hidden="true">
        ✘
      </span>
      <div>
        <p class="verdict-title">No match among {fmtNumber(r.searched, 0)} fingerprints</p>
        <p class="verdict-detail">
          No stored camera's fingerprint gives a PCE above the decision threshold for this photo.
        </p>
      </div>
    </div>
  );
}

/** The cameras by PCE, best first, with the decision for each. */
const RANKING_COLUMNS: Column<Candidate>[] = [
  { head: '#', class: 'num hide-narrow', cell: (_, i) => i + 1 },
  {
    head: 'Camera',
    rowHeader: true,
    cell: (c) => (
      <>
        <a href={href('cameras', c.camera)}>{c.camera}</a>
        {c.reason && <div class="muted small">{c.reason}</div>}
      </>
    ),
  },
  { head: 'PCE', class: 'num', cell: (c) => fmtNumber(c.pce, 1) },
  {
    head: (
      <>
        P<sub>FA</sub>
      </>
    ),
    class: 'num',
    cellClass: 'num nowrap',
    cell: (c) => (c.pce === null ? '—' : <Pfa c={c} />),
  },
  {
    head: 'Shift',
    class: 'num hide-narrow',
    cellClass: 'num nowrap hide-narrow',
    cell: (c) => (c.shift ? `${c.shift[0]}, ${c.shift[1]}` : '—'),
  },
  {
    head: 'Rotation',
    class: 'num hide-narrow',
    cell: (c) => (c.rotation === null || c.rotation === undefined ? '—' : `${c.rotation}°`),
  },
  { head: 'Decision', cell: (c) => <DecisionBadge decision={decisionOf(c)} /> },
];

function Ranking({ candidates }: { candidates: Candidate[] }) {
  return (
    <DataTable
      id="ranking"
      caption="Cameras ranked by PCE"
      rows={candidates}
      columns={RANKING_COLUMNS}
      rowKey={(c) => c.camera}
      rowProps={(c) => ({ 'data-camera': c.camera, class: c.match ? 'row-match' : undefined })}
    />
  );
}

function Evidence({ inspect }: { inspect: InspectResult }) {
  const x = inspect.exif;
  const j = inspect.jpeg;
  const notes = [...inspect.signs.map((s) => s.detail), ...inspect.warnings, ...(x?.warnings ?? [])];
  return (
    <div class="grid-2 evidence">
      <div>
        <h3>EXIF</h3>
        {!x?.present ? (
          <Empty>No EXIF block in this file.</Empty>
        ) : (
          <Facts
            items={[
              ['Make', x.make],
              ['Model', x.model],
              ['Serial number', x.serialNumbers.join(', ')],
              ['Software', x.software],
              ['Taken', x.dateTimeOriginal],
              ['Modified', x.modifyDate],
              ['Orientation', x.orientation],
              ['Lens', x.lens],
              ['GPS', x.gps?.present ? 'present' : 'absent'],
              ['Stated size', x.width && x.height ? `${x.width} × ${x.height}` : null],
            ]}
          />
        )}
      </div>
      <div>
        <h3>File and JPEG</h3>
        <Facts
          items={[
            ['SHA-256', <code title={inspect.sha256}>{shortHash(inspect.sha256, 16)}…</code>],
            [
              'Size',
              `${fmtBytes(inspect.bytes)}${inspect.width ? `, ${inspect.width} × ${inspect.height} px` : ''}`,
            ],
            ['Format', inspect.format],
            ['JPEG quality (IJG estimate)', j?.isJpeg ? fmtNumber(j.quality, 0) : 'not a JPEG'],
            ['Chroma subsampling', j?.subsampling],
            ['Process', j?.process],
            [
              'Identical tables in library',
              inspect.tables ? inspect.tables.identical.join(', ') || 'none' : 'no library',
            ],
          ]}
        />
      </div>
      <div class="span-2">
        <h3>Signs of editing</h3>
        {notes.length === 0 ? (
          <p class="muted">None seen in the header.</p>
        ) : (
          <ul class="signs">
            {notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

export function IdentifyPage() {
  useTitle('Identify');
  const models = useLoad(() => api.models(), []);
  const [files, setFiles] = useState<File[]>([]);
  const [top, setTop] = useState('5');
  const [model, setModel] = useState('');
  const action = useAction();
  const [result, setResult] = useState<IdentifyResult>();

  // Only a finished training has its network exported (model.onnx) for classifying.
  const ready = (models.data ?? []).filter((m) => m.status === 'done');

  const submit = (e: Event) => {
    e.preventDefault();
    if (files.length === 0) return action.setError('Choose the photo to identify.');
    action.run(async () => {
      setResult(undefined);
      setResult(await api.identify(files[0], { top: Number(top) || 5, model: model || undefined }));
    });
  };

  return (
    <>
      <PageHead title="Identify a photo" />
      <Card title="Questioned photo" id="identify-input">
        <form class="form identify-form" onSubmit={submit}>
          <div class="identify-drop">
            <DropZone
              id="identify-file"
              label="The photo whose source camera is in question"
              accept="image/*,.tif,.tiff"
              files={files}
              onFiles={(f) => {
                setFiles(f);
                setResult(undefined);
              }}
            />
            {files[0] && <FilePreview file={files[0]} alt="The photo to identify" />}
          </div>
          <div class="form-grid">
            <TextField
              id="identify-top"
              label="Candidates to list"
              type="number"
              min={1}
              max={50}
              value={top}
              onInput={setTop}
            />
            <SelectField
              id="identify-model"
              label="CNN model (optional)"
              value={model}
              onChange={setModel}
              options={[
                ['', 'none: PCE only'],
                ...ready.map((m) => [m.name, `${m.name} (${m.network})`] as [string, string]),
              ]}
            />
          </div>
          <Submit text="Identify" busyText="Identifying…" busy={!!action.busy} error={action.error} />
          {action.busy && (
            <p class="loading" aria-live="polite">
              Extracting the noise residual and searching the fingerprint database…
            </p>
          )}
        </form>
      </Card>
      {result && (
        <div class="identify-result" aria-live="polite">
          <Verdict r={result} />
          <Card title="Ranking by PCE" id="identify-ranking">
            {result.candidates.length === 0 ? (
              <Empty>No comparable fingerprints.</Empty>
            ) : (
              <Ranking candidates={result.candidates} />
            )}
            <p class="muted small">
              {fmtNumber(result.searched, 0)} fingerprints searched in {fmtNumber(result.seconds, 2)} s.
              Decision: PCE above the threshold (60 unless set otherwise).
            </p>
          </Card>
          <div class="grid-2">
            <Card title="Correlation around the peak" id="identify-surface">
              {result.surface && result.surface.values?.length ? (
                <>
                  <Chart
                    spec={surfaceSpec(result.surface.size, result.surface.values)}
                    label={`Correlation surface of ${result.surface.camera} in a ${result.surface.size}×${result.surface.size} window around its peak`}
                    class="chart-center"
                  />
                  <p class="muted small">
                    Cross-correlation with {result.surface.camera}'s fingerprint around its peak, in units of
                    its standard deviation: a match shows one sharp peak standing out of the noise.
                  </p>
                </>
              ) : (
                <Empty>No surface (nothing comparable).</Empty>
              )}
            </Card>
            <Card title="CNN classification" id="identify-cnn">
              {result.classification ? (
                <>
                  <p class="muted small">
                    Model {result.classification.model}: top {result.classification.top.length}.
                  </p>
                  <Chart
                    spec={topSpec(result.classification.top)}
                    label={`Top classes by ${result.classification.model}`}
                  />
                  <ol class="top-list">
                    {result.classification.top.map((t) => (
                      <li key={t.class}>
                        {t.class} <span class="muted">{fmtPercent(t.probability)}</span>
                      </li>
                    ))}
                  </ol>
                </>
              ) : (
                <Empty>Choose a trained model above to add its top-5.</Empty>
              )}
            </Card>
          </div>
          {result.inspect && (
            <Card title="Header evidence" id="identify-evidence">
              <Evidence inspect={result.inspect} />
            </Card>
          )}
        </div>
      )}
    </>
  );
}
