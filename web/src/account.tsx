/** Any signed-in user: their own password, changed with the current one. */
import { useState } from 'preact/hooks';
import { api, type User } from './api.ts';
import { Notice, type Message } from './notice.tsx';

export function AccountPage({ user }: { user: User }) {
  const [form, setForm] = useState({ current: '', password: '', again: '' });
  const [message, setMessage] = useState<Message | undefined>(undefined);
  if (user.name === 'anonymous')
    return <p class="muted">The demo viewer has no account. Sign in as a user to change a password.</p>;
  const field = (key: keyof typeof form, label: string, autoComplete: string) => (
    <label>
      {label}
      <input
        type="password"
        autoComplete={autoComplete}
        value={form[key]}
        onInput={(e) => {
          const value = e.currentTarget.value;
          setForm((f) => ({ ...f, [key]: value }));
        }}
        required
      />
    </label>
  );
  const submit = async (e: Event) => {
    e.preventDefault();
    if (form.password !== form.again) {
      setMessage({ text: 'the new password and its repetition differ', bad: true });
      return;
    }
    try {
      await api.changeMyPassword(form.current, form.password);
      setMessage({ text: 'password changed; your other sessions have ended' });
      setForm({ current: '', password: '', again: '' });
    } catch (err) {
      setMessage({ text: (err as Error).message, bad: true });
    }
  };
  return (
    <form class="account signin" onSubmit={(e) => void submit(e)} aria-label="change password">
      <h2>{user.name}</h2>
      <p class="muted">Role: {user.role}. Roles are changed by an admin.</p>
      {field('current', 'Current password', 'current-password')}
      {field('password', 'New password (8+ characters)', 'new-password')}
      {field('again', 'New password again', 'new-password')}
      <button type="submit" class="primary">
        Change password
      </button>
      <Notice message={message} />
    </form>
  );
}
