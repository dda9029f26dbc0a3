/** Admins only: the users and their roles, and adding one. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Role, type User } from './api.ts';

export function UsersPage() {
  const [users, setUsers] = useState<User[] | { error: string } | undefined>(undefined);
  const [form, setForm] = useState({ name: '', password: '', role: 'viewer' as Role });
  const [message, setMessage] = useState<string | undefined>(undefined);
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
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      await api.addUser(form.name, form.password, form.role);
      setMessage(`added ${form.name}`);
      setForm({ name: '', password: '', role: 'viewer' });
      await load();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  return (
    <div class="users">
      <h2>Users</h2>
      <table class="grid">
        <thead>
          <tr>
            <th>name</th>
            <th>role</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.name}>
              <td>{u.name}</td>
              <td>{u.role}</td>
            </tr>
          ))}
        </tbody>
      </table>
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
        <input
          placeholder="password (12+ characters)"
          type="password"
          value={form.password}
          onInput={(e) => {
            const password = e.currentTarget.value;
            setForm((f) => ({ ...f, password }));
          }}
          required
        />
        <select
          value={form.role}
          onChange={(e) => {
            const role = e.currentTarget.value as Role;
            setForm((f) => ({ ...f, role }));
          }}
        >
          <option>viewer</option>
          <option>editor</option>
          <option>admin</option>
        </select>
        <button type="submit">Add user</button>
      </form>
      {message !== undefined && <p class="notice">{message}</p>}
    </div>
  );
}
