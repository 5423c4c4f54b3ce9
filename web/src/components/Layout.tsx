/** The frame of every page: a skip link, the navigation (a list of links) and the main region. */
import type { ComponentChildren } from 'preact';
import { href } from '../router';

const NAV: [string, string, string][] = [
  ['', 'Jobs', '◷'],
  ['cameras', 'Cameras', '◉'],
  ['identify', 'Identify', '⌕'],
  ['datasets', 'Data sets', '▦'],
  ['models', 'Models', '◈'],
  ['cases', 'Cases', '▤'],
];

export function Layout({ section, children }: { section: string; children: ComponentChildren }) {
  return (
    <div class="shell">
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="sidebar">
        <a class="brand" href={href()} aria-label="camprint home">
          <span class="brand-mark" aria-hidden="true">
            ◎
          </span>
          <span class="brand-text">
            <span class="brand-name">camprint</span>
            <span class="brand-sub">source camera identification</span>
          </span>
        </a>
        <nav aria-label="Main">
          <ul class="nav">
            {NAV.map(([route, text, icon]) => (
              <li key={route}>
                <a
                  href={route ? href(route) : href()}
                  class={section === route ? 'active' : undefined}
                  aria-current={section === route ? 'page' : undefined}
                >
                  <span class="nav-icon" aria-hidden="true">
                    {icon}
                  </span>
                  {text}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

/** A page's title line, with a trail back to its list and optional actions. */
export function PageHead({
  title,
  trail,
  children,
}: {
  title: ComponentChildren;
  trail?: [string, string][];
  children?: ComponentChildren;
}) {
  return (
    <div class="page-head">
      <div>
        {trail && trail.length > 0 && (
          <nav aria-label="Breadcrumb" class="breadcrumb">
            <ol>
              {trail.map(([text, link]) => (
                <li key={link}>
                  <a href={link}>{text}</a>
                </li>
              ))}
            </ol>
          </nav>
        )}
        <h1 tabIndex={-1} class="page-title">
          {title}
        </h1>
      </div>
      {children && <div class="page-actions">{children}</div>}
    </div>
  );
}
