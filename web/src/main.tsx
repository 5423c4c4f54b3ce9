/** The camprint workbench: a single-page app over the HTTP API of `camprint serve`. */
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import './style.css';
import { useRoute } from './router';
import { Layout } from './components/Layout';
import { TokenDialog } from './components/TokenDialog';
import { HomePage } from './pages/Home';
import { CamerasPage, CameraPage } from './pages/Cameras';
import { IdentifyPage } from './pages/Identify';
import { DatasetsPage, DatasetPage } from './pages/Datasets';
import { ModelsPage, ModelPage } from './pages/Models';
import { EvaluationPage } from './pages/Evaluation';
import { CasesPage, CasePage } from './pages/Cases';
import { Empty } from './components/Notice';

function Page({ path }: { path: string[] }) {
  const [section, name, sub] = path;
  switch (section ?? '') {
    case '':
      return <HomePage />;
    case 'cameras':
      return name ? <CameraPage name={name} /> : <CamerasPage />;
    case 'identify':
      return <IdentifyPage />;
    case 'datasets':
      return name ? <DatasetPage name={name} /> : <DatasetsPage />;
    case 'models':
      if (name && sub === 'evaluation') return <EvaluationPage name={name} />;
      return name ? <ModelPage name={name} /> : <ModelsPage />;
    case 'cases':
      return name ? <CasePage name={name} /> : <CasesPage />;
    default:
      return (
        <>
          <h1 tabIndex={-1} class="page-title">
            Not found
          </h1>
          <Empty>
            There is no page at <code>#{location.hash.slice(1)}</code>. <a href="#/">Go to the jobs</a>.
          </Empty>
        </>
      );
  }
}

function App() {
  const path = useRoute();
  const first = useRef(true);
  const key = path.join('/');
  useEffect(() => {
    // After a navigation, move the focus to the new page's title (screen readers announce it,
    // and Tab continues from the top of the new content).
    if (first.current) {
      first.current = false;
      return;
    }
    const h1 = document.querySelector<HTMLElement>('main h1');
    h1?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [key]);
  return (
    <>
      <Layout section={path[0] ?? ''}>
        <Page key={key} path={path} />
      </Layout>
      <TokenDialog />
    </>
  );
}

render(<App />, document.getElementById('app')!);
