/** Admins only: the users and their roles; adding, changing a role, setting a password, removing. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Role, type User } from './api.ts';
import { Notice, type Message } from './notice.tsx';

const roles: Role[] = ['viewer', 'editor', 'admin'];

function RoleSelect({ value, onChange, label }: { value: Role; onChange: (r: Role) => void; label: string }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.value as Role)}>
      {roles.map((r) => (
        <option key={r}>{r}</option>
      ))}
    </select>
  );
}

function NewPassword(props: { placeholder: string; value: string; onInput: (password: string) => void }) {
  return (
    <input
      placeholder={props.placeholder}
      type="password"
      autoComplete="new-password"
      minLength={8}
      value={props.value}
      onInput={(e) => props.onInput(e.currentTarget.value)}
      required
    />
  );
}

/** `me` changed by an admin's own hand: the app reads who it is again. */
export function UsersPage({ me, onMeChanged }: { me: User; onMeChanged: () => void }) {
  const [users, setUsers] = useState<User[] | { error: string } | undefined>(undefined);
  const [form, setForm] = useState({ name: '', password: '', role: 'viewer' as Role });
  const [reset, setReset] = useState({ name: '', password: '' });
  const [message, setMessage] = useState<Message | undefined>(undefined);
  const load = () =>
    api.users().then(
      (r) => setUsers(r.users),
      (e: { message: string }) => setUsers({ error: e.message }),
    );
  useEffect(() => void load(), []);
  if (users === undefined) return <p class="muted">loading…</p>;
  if ('error' in users)
    return (
      <div class="error" role="alert">
        {users.error}
      </div>
    );
  /** Runs one change, then says how it went and shows the users as they are now. */
  const act = async (what: () => Promise<unknown>, done: string, self = false) => {
    try {
      await what();
      setMessage({ text: done });
      if (self) onMeChanged();
    } catch (err) {
      setMessage({ text: (err as Error).message, bad: true });
    }
    await load();
  };
  const add = async (e: Event) => {
    e.preventDefault();
    await act(() => api.addUser(form.name, form.password, form.role), `added ${form.name}`);
    setForm({ name: '', password: '', role: 'viewer' });
  };
  const setPassword = async (e: Event) => {
    e.preventDefault();
    const { name, password } = reset;
    await act(
      () => api.changeUser(name, { password }),
      `set a new password for ${name}; their sessions have ended`,
      name === me.name,
    );
    setReset({ name: '', password: '' });
  };
  return (
    <div class="users">
      <h2>Users</h2>
      <table class="grid">
        <thead>
          <tr>
            <th>name</th>
            <th>role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.name} data-user-row={u.name}>
              <td>{u.name}</td>
              <td>
                <RoleSelect
                  label={`role of ${u.name}`}
                  value={u.role}
                  onChange={(role) =>
                    void act(
                      () => api.changeUser(u.name, { role }),
                      `${u.name} is now ${role}`,
                      u.name === me.name,
                    )
                  }
                />
              </td>
              <td>
                <button
                  class="link danger"
                  onClick={() => {
                    if (confirm(`Remove ${u.name}? Their sessions end at once.`))
                      void act(() => api.removeUser(u.name), `removed ${u.name}`, u.name === me.name);
                  }}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Add a user</h3>
      <form class="row" onSubmit={(e) => void add(e)} aria-label="add user">
        <input
          placeholder="name"
          value={form.name}
          onInput={(e) => {
            const name = e.currentTarget.value;
            setForm((f) => ({ ...f, name }));
          }}
          required
        />
        <NewPassword
          placeholder="password (8+ characters)"
          value={form.password}
          onInput={(password) => setForm((f) => ({ ...f, password }))}
        />
        <RoleSelect label="role" value={form.role} onChange={(role) => setForm((f) => ({ ...f, role }))} />
        <button type="submit">Add user</button>
      </form>
      <h3>Set a password</h3>
      <form class="row" onSubmit={(e) => void setPassword(e)} aria-label="set password">
        <select
          aria-label="user"
          value={reset.name}
          onChange={(e) => {
            const name = e.currentTarget.value;
            setReset((r) => ({ ...r, name }));
          }}
          required
        >
          <option value="">user…</option>
          {users.map((u) => (
            <option key={u.name}>{u.name}</option>
          ))}
        </select>
        <NewPassword
          placeholder="new password (8+ characters)"
          value={reset.password}
          onInput={(password) => setReset((r) => ({ ...r, password }))}
        />
        <button type="submit">Set password</button>
      </form>
      <Notice message={message} />
    </div>
  );
}
