import { explain } from '../api.js';
import { auth } from '../auth.js';
import { busy, field, h, setStatus, statusLine } from '../dom.js';

/** Sign in, or create an account and sign in. */
export function renderSignIn(main: HTMLElement): void {
  const signInStatus = statusLine();
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const signInButton = h('button', { type: 'submit' }, 'Sign in');
  const signIn = h(
    'form',
    { 'aria-labelledby': 'signin-h' },
    h('h2', { id: 'signin-h' }, 'Sign in'),
    field('Username or email', user),
    field('Password', password),
    signInButton,
    signInStatus,
  );
  signIn.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(signInButton, async () => {
      setStatus(signInStatus, 'Signing in…');
      try {
        await auth.login(user.value.trim(), password.value);
      } catch (err) {
        setStatus(signInStatus, explain(err), 'error');
      }
    });
  });

  const upStatus = statusLine();
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true });
  const username = h('input', { name: 'new-username', autocomplete: 'username', required: true, minlength: 3, maxlength: 32, pattern: '[A-Za-z0-9_.\\-]+' });
  const fullName = h('input', { name: 'full-name', autocomplete: 'name' });
  const newPassword = h('input', { name: 'new-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const upButton = h('button', { type: 'submit' }, 'Create account');
  const signUp = h(
    'form',
    { 'aria-labelledby': 'signup-h' },
    h('h2', { id: 'signup-h' }, 'Create an account'),
    field('Email', email),
    field('Username', username, 'Letters, digits, dots, dashes and underscores.'),
    field('Full name (optional)', fullName),
    field('Password', newPassword, 'At least 8 characters.'),
    upButton,
    upStatus,
  );
  signUp.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(upButton, async () => {
      setStatus(upStatus, 'Creating your account…');
      try {
        await auth.register({ email: email.value.trim(), username: username.value.trim(), password: newPassword.value, ...(fullName.value.trim() ? { fullName: fullName.value.trim() } : {}) });
      } catch (err) {
        setStatus(upStatus, explain(err), 'error');
      }
    });
  });

  main.append(
    h('h1', null, 'Welcome to the Xentree Console'),
    h('p', { class: 'lead' }, 'Try the whole platform in your browser: chat, your knowledge base, Xentree Live, English practice and organizations. It talks to this gateway through its public GraphQL API, like any client would.'),
    h('div', { class: 'columns' }, h('section', { class: 'card' }, signIn), h('section', { class: 'card' }, signUp)),
  );
}
