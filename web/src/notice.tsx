/** How a form's action went: a status line, or an alert when it failed. */
export interface Message {
  text: string;
  bad?: boolean;
}

export function Notice({ message }: { message: Message | undefined }) {
  if (message === undefined) return null;
  const bad = message.bad === true;
  return (
    <p class={bad ? 'error' : 'notice'} role={bad ? 'alert' : 'status'}>
      {message.text}
    </p>
  );
}
