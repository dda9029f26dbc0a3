/** The dashboards web app: sign-in, the dashboards, SQL lab and (for admins) the users. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AccountPage } from './account.tsx';
import { api, whenSignedOut, type User } from './api.ts';
import { DashboardPage } from './dashboard.tsx';
import { go, useRoute } from './route.ts';
import type { SqlLab as SqlLabPage } from './sqllab.tsx';
import './style.css';
import { UsersPage } from './users.tsx';

function SignIn({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      onSignedIn((await api.signIn(name, password)).user);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="signin" onSubmit={(e) => void submit(e)} aria-label="sign in">
      <h1>farebox</h1>
      <label>
        User
        <input
          name="name"
          autoComplete="username"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          required
        />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          required
        />
      </label>
      <button type="submit" class="primary">
        Sign in
      </button>
      {error !== undefined && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      <p class="muted">
        No account? An admin adds one:{' '}
        <code>farebox dashboards add-user NAME --role viewer --password-stdin</code>
      </p>
    </form>
  );
}

/** SQL lab and its editor load when first opened: the dashboards do not wait for CodeMirror. */
function LazySqlLab({ user }: { user: User }) {
  const [lab, setLab] = useState<{ SqlLab: typeof SqlLabPage } | undefined>(undefined);
  useEffect(() => void import('./sqllab.tsx').then(setLab), []);
  return lab === undefined ? <p class="muted">loading SQL lab…</p> : <lab.SqlLab user={user} />;
}

function Forbidden({ need }: { need: string }) {
  return (
    <div class="error" role="alert" data-page="forbidden">
      This page needs the {need} role. Ask an admin for an account with it.
    </div>
  );
}

function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [dashboards, setDashboards] = useState<{ name: string; title: string }[]>([]);
  const route = useRoute();
  const readMe = () =>
    api.me().then(
      (r) => setUser(r.user),
      () => setUser(null),
    );
  useEffect(() => {
    whenSignedOut(() => setUser(null));
    void readMe();
  }, []);
  useEffect(() => {
    if (user)
      api.dashboards().then(
        (r) => setDashboards(r.dashboards),
        () => setDashboards([]),
      );
  }, [user, route.path[1]]);

  if (user === undefined) return <p class="muted">loading…</p>;
  if (user === null) return <SignIn onSignedIn={setUser} />;
  const [page = 'd', arg] = route.path;
  const current = page === 'd' ? (arg ?? dashboards[0]?.name) : undefined;
  return (
    <>
      <nav class="top">
        <a class="brand" href="#/">
          farebox
        </a>
        {dashboards.map((d) => (
          <a key={d.name} href={`#/d/${d.name}`} class={current === d.name ? 'active' : ''}>
            {d.title}
          </a>
        ))}
        <a href="#/sql" class={page === 'sql' ? 'active' : ''}>
          SQL lab
        </a>
        {user.role === 'admin' && (
          <a href="#/admin/users" class={page === 'admin' ? 'active' : ''}>
            Users
          </a>
        )}
        <span class="spacer" />
        <a href="#/account" class={`muted ${page === 'account' ? 'active' : ''}`} data-user={user.name}>
          {user.name} · {user.role}
        </a>
        {user.name !== 'anonymous' && (
          <button
            class="link"
            onClick={() =>
              void api.signOut().finally(() => {
                setUser(null);
                go('');
              })
            }
          >
            Sign out
          </button>
        )}
      </nav>
      <main>
        {page === 'sql' ? (
          <LazySqlLab user={user} />
        ) : page === 'account' ? (
          <AccountPage user={user} />
        ) : page === 'admin' ? (
          user.role === 'admin' ? (
            <UsersPage me={user} onMeChanged={() => void readMe()} />
          ) : (
            <Forbidden need="admin" />
          )
        ) : current !== undefined ? (
          <DashboardPage name={current} route={route} />
        ) : (
          <p class="muted">No dashboards yet: add YAML files to dashboards/.</p>
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
