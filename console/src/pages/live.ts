import { ApiError, explain, request, wsUrl } from '../api.js';
import { MicCapture, PcmPlayer } from '../audio.js';
import { auth } from '../auth.js';
import { field, formatDate, formatSeconds, h, replace, setStatus, statusLine } from '../dom.js';
import { ConsoleEndLiveSessionDocument, ConsoleLiveHeartbeatDocument, ConsoleLiveQuotaDocument, type LiveEndReason } from '../generated/graphql.js';

/** Frames of the realtime socket (/api/live/ws), as documented. */
type Frame =
  | { type: 'session-started'; data: { session_id: string; session_type: string; started_at: string; used_seconds: number; remaining_seconds: number; heartbeat_interval_seconds: number } }
  | { type: 'audio-response'; data: { turn_id: string; seq: number; audio: string; text: string; final: boolean } }
  | { type: 'avatar-expression'; data: { turn_id: string; expression: string; intensity: number; visemes: { offset_ms: number; viseme: string }[] } }
  | { type: 'transcript'; data: { role: 'user' | 'ai'; text: string; timestamp: string } }
  | { type: 'session-ended'; data: { reason: string; used_seconds: number; remaining_seconds: number } }
  | { type: 'error'; data: { error: string; message: string; reason?: string; retry_after_seconds?: number; active_session_id?: string } };

/** Why a session ended, for people: by the GraphQL enum (the socket's lower-case reasons are the same names). */
const REASONS: Record<LiveEndReason, string> = {
  CLIENT: 'you ended it',
  QUOTA_EXCEEDED: "this month's live minutes are used up",
  MAX_DURATION: 'it reached the longest allowed length',
  IDLE: 'it was idle for too long',
  DISCONNECTED: 'the connection closed',
  REVOKED: 'you were signed out',
};
const reasonText = (reason: string | null): string => REASONS[(reason ?? '').toUpperCase() as LiveEndReason] ?? reason ?? 'unknown';

const renewal = (retryAfterSeconds?: number): string =>
  retryAfterSeconds ? ` They renew on ${new Date(Date.now() + retryAfterSeconds * 1000).toLocaleDateString(undefined, { day: 'numeric', month: 'long' })}.` : '';

/** The avatar: a face whose expression and mouth follow the reply. */
function avatarFace(): { el: HTMLElement; express(expression: string, intensity: number): void; mouth(viseme: string): void } {
  const label = h('p', { class: 'expression', 'data-testid': 'avatar-expression' }, 'Expression: neutral');
  const face = h(
    'div',
    { class: 'face', role: 'img', 'aria-label': 'Avatar, looking neutral', 'data-expression': 'neutral', 'data-viseme': 'sil' },
    h('span', { class: 'brow left' }),
    h('span', { class: 'brow right' }),
    h('span', { class: 'eye left' }),
    h('span', { class: 'eye right' }),
    h('span', { class: 'mouth' }),
  );
  return {
    el: h('div', { class: 'avatar' }, face, label),
    express(expression, intensity) {
      face.dataset.expression = expression;
      face.style.setProperty('--intensity', String(intensity));
      face.setAttribute('aria-label', `Avatar, looking ${expression}`);
      label.textContent = `Expression: ${expression} (${Math.round(intensity * 100)}%)`;
    },
    mouth(viseme) {
      face.dataset.viseme = viseme;
    },
  };
}

/**
 * Xentree Live: the quota meter, a voice or avatar session over the realtime socket,
 * speaking (microphone) or typing, the spoken reply, avatar expressions, the transcript as
 * it grows, heartbeats with quota warnings, and the end of the session.
 */
export function renderLive(main: HTMLElement): () => void {
  let socket: WebSocket | null = null;
  let sessionId: string | null = null;
  let player: PcmPlayer | null = null;
  let mic: MicCapture | null = null;
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  let clock: ReturnType<typeof setInterval> | null = null;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let ended = false;
  let startedAt = 0;
  let sessionLabel = '';

  // The monthly quota.
  const meter = h('meter', { id: 'quota-meter', min: 0, max: 1, value: 0, 'aria-describedby': 'quota-text' });
  const quotaText = h('p', { id: 'quota-text', 'data-testid': 'quota' }, 'Loading your live minutes…');
  const activeElsewhere = h('div');
  let limit = 0;
  let plan = '';
  let renews = '';
  const showQuota = (used: number, remaining: number, during = false): void => {
    meter.max = limit || 1;
    meter.value = used;
    quotaText.textContent = `${during ? 'About ' : ''}${formatSeconds(used)} of ${formatSeconds(limit)} used this month (${plan} plan); ${formatSeconds(remaining)} left. Renews on ${renews}.`;
  };
  async function loadQuota(): Promise<void> {
    try {
      const { liveQuota: q } = await request(ConsoleLiveQuotaDocument);
      meter.low = q.limitSeconds * 0.5;
      meter.high = q.limitSeconds * 0.9;
      meter.optimum = 0;
      limit = q.limitSeconds;
      plan = q.plan;
      renews = new Date(q.periodEnd).toLocaleDateString(undefined, { day: 'numeric', month: 'long' });
      showQuota(q.usedSeconds, q.remainingSeconds);
      const other = q.activeSession && q.activeSession.id !== sessionId ? q.activeSession : null;
      replace(
        activeElsewhere,
        other
          ? h(
              'p',
              { class: 'notice' },
              `A ${other.sessionType.toLowerCase()} session started at ${formatDate(other.startedAt)} is still active (only one at a time). `,
              h('button', {
                type: 'button',
                class: 'secondary small',
                onclick: async () => {
                  try {
                    await request(ConsoleEndLiveSessionDocument, { input: { sessionId: other.id, reason: 'CLIENT' } });
                    setStatus(status, 'The other session was ended.');
                  } catch (e) {
                    setStatus(status, explain(e), 'error');
                  }
                  void loadQuota();
                },
              }, 'End that session'),
            )
          : null,
      );
    } catch (e) {
      quotaText.textContent = `Your live minutes could not be loaded: ${explain(e)}`;
    }
  }

  // Starting.
  const status = statusLine();
  status.dataset.testid = 'live-status';
  const warning = h('p', { class: 'warning', role: 'alert', 'data-testid': 'live-warning' });
  const voice = h('input', { type: 'radio', name: 'mode', value: 'voice', id: 'mode-voice', checked: true });
  const avatarMode = h('input', { type: 'radio', name: 'mode', value: 'avatar', id: 'mode-avatar' });
  const language = h('input', { name: 'language', maxlength: 16, placeholder: 'en', autocomplete: 'off' });
  const startButton = h('button', { type: 'submit' }, 'Start session');
  const startForm = h(
    'form',
    { 'aria-labelledby': 'start-h' },
    h('h2', { id: 'start-h' }, 'Start a session'),
    h('fieldset', null, h('legend', null, 'Mode'), h('label', { for: 'mode-voice' }, voice, ' Voice'), h('label', { for: 'mode-avatar' }, avatarMode, ' Avatar')),
    field('Language (optional)', language, 'A language tag such as en or fr.'),
    startButton,
  );

  // The session.
  const sessionInfo = h('p', { 'data-testid': 'session-info' });
  const transcript = h('ol', { class: 'transcript' });
  const transcriptLog = h('div', { role: 'log', 'aria-label': 'Transcript', 'aria-live': 'polite', 'data-testid': 'transcript' }, transcript);
  const audioInfo = h('p', { 'data-testid': 'audio-info', 'aria-live': 'off' }, 'No audio yet.');
  const avatar = avatarFace();
  const say = h('input', { name: 'say', autocomplete: 'off', maxlength: 4000 });
  const sayButton = h('button', { type: 'submit' }, 'Send');
  const sayForm = h('form', { class: 'inline', 'aria-label': 'Say something' }, field('Type what you say', say, 'Or use the microphone; typed words are sent with your recording as its transcript.'), sayButton);
  const micButton = h('button', { type: 'button', class: 'secondary' }, 'Start talking');
  const micLevel = h('meter', { id: 'mic-level', min: 0, max: 1, value: 0 });
  const micHint = h('small', { class: 'hint', 'data-testid': 'mic-hint' });
  const endButton = h('button', { type: 'button', class: 'danger' }, 'End session');
  const panel = h(
    'section',
    { class: 'card session', 'aria-labelledby': 'session-h', hidden: true },
    h('h2', { id: 'session-h' }, 'Session'),
    sessionInfo,
    avatar.el,
    transcriptLog,
    audioInfo,
    sayForm,
    h('div', { class: 'mic' }, micButton, h('label', { for: 'mic-level' }, 'Microphone level'), micLevel, micHint),
    endButton,
  );

  const send = (type: string, data: Record<string, unknown>): void => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type, data }));
  };

  function stopTimers(): void {
    if (heartbeat) clearInterval(heartbeat);
    if (clock) clearInterval(clock);
    heartbeat = clock = null;
    for (const t of timers) clearTimeout(t);
    timers.clear();
  }

  function finish(message: string, kind: 'info' | 'warning' | 'error' = 'info'): void {
    stopTimers();
    if (sessionId && startedAt) sessionInfo.textContent = `${sessionLabel} session, ended after ${formatSeconds(Math.floor((Date.now() - startedAt) / 1000))}.`;
    void mic?.stop();
    mic = null;
    micButton.textContent = 'Start talking';
    player?.close();
    player = null;
    sessionId = null;
    ended = true;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
    socket = null;
    panel.dataset.state = 'ended';
    for (const el of [say, sayButton, micButton, endButton]) el.disabled = true;
    startButton.disabled = false;
    setStatus(status, message, kind);
    void loadQuota();
  }

  function onFrame(frame: Frame): void {
    switch (frame.type) {
      case 'session-started': {
        const d = frame.data;
        // The same session again, on a new socket (after the access token expired): carry on.
        if (sessionId === d.session_id) return setStatus(status, 'Reconnected. Say something.');
        sessionId = d.session_id;
        transcript.replaceChildren();
        audioInfo.textContent = 'No audio yet.';
        avatar.express('neutral', 0.5);
        avatar.mouth('sil');
        panel.hidden = false;
        panel.dataset.state = 'active';
        avatar.el.hidden = d.session_type !== 'avatar';
        for (const el of [say, sayButton, endButton]) el.disabled = false;
        micButton.disabled = !MicCapture.available();
        startedAt = Date.now();
        sessionLabel = d.session_type === 'avatar' ? 'Avatar' : 'Voice';
        const tick = (): void => {
          sessionInfo.textContent = `${sessionLabel} session, ${formatSeconds(Math.floor((Date.now() - startedAt) / 1000))} so far; ${formatSeconds(d.remaining_seconds)} of live time were left at the start.`;
        };
        tick();
        clock = setInterval(tick, 1000);
        heartbeat = setInterval(() => void beat(), d.heartbeat_interval_seconds * 1000);
        setStatus(status, 'Session started. Say something.');
        say.focus();
        return;
      }
      case 'transcript': {
        const { role, text } = frame.data;
        transcript.append(h('li', { class: role, 'data-role': role }, h('strong', null, role === 'user' ? 'You: ' : 'Xentree: '), text));
        transcript.lastElementChild?.scrollIntoView({ block: 'nearest' });
        setStatus(status, role === 'user' ? 'Xentree is answering…' : 'Xentree answered. Say something else, or end the session.');
        return;
      }
      case 'audio-response': {
        const d = frame.data;
        player?.enqueue(d.turn_id, d.audio);
        if (player) audioInfo.textContent = `Heard ${player.chunks} audio chunk${player.chunks === 1 ? '' : 's'} (${player.seconds.toFixed(1)} s of speech).`;
        return;
      }
      case 'avatar-expression': {
        const d = frame.data;
        const delay = player?.msUntilTurn(d.turn_id) ?? 0;
        const at = (ms: number, fn: () => void): void => {
          const t = setTimeout(() => {
            timers.delete(t);
            fn();
          }, ms);
          timers.add(t);
        };
        avatar.express(d.expression, d.intensity);
        for (const v of d.visemes) at(delay + v.offset_ms, () => avatar.mouth(v.viseme));
        return;
      }
      case 'session-ended': {
        const d = frame.data;
        const why = reasonText(d.reason);
        const summary = `Session ended: ${why}. ${formatSeconds(d.used_seconds)} used; ${formatSeconds(d.remaining_seconds)} left this month.`;
        if (d.reason === 'quota_exceeded') warning.textContent = "This month's live minutes are used up, so the session was ended.";
        finish(summary, d.reason === 'client' ? 'info' : 'warning');
        return;
      }
      case 'error': {
        const d = frame.data;
        // The access token expired: the socket closes next, and a fresh one binds to the session again.
        if (d.error === 'invalid_token' && d.reason === 'token_expired') return;
        if (d.error === 'live_quota_exceeded') {
          warning.textContent = `${d.message}.${renewal(d.retry_after_seconds)}`;
          finish('No session was started.', 'warning');
        } else if (d.error === 'conflict' && !sessionId) {
          finish(`${d.message}. End the other session first.`, 'error');
          void loadQuota();
        } else if (!sessionId) {
          finish(d.message, 'error');
        } else if (d.error === 'validation_error' && /speech-to-text/i.test(d.message)) {
          setStatus(status, 'This gateway has no speech-to-text: type what you said and press Send (or type it before you stop talking).', 'warning');
        } else {
          setStatus(status, d.message, 'error');
        }
        return;
      }
    }
  }

  async function beat(): Promise<void> {
    const id = sessionId;
    if (!id) return;
    try {
      const { liveHeartbeat: s } = await request(ConsoleLiveHeartbeatDocument, { input: { sessionId: id } });
      // The session ended (its summary is shown) or another began while this heartbeat was out.
      if (sessionId !== id) return;
      showQuota(Math.max(0, limit - s.remainingSeconds), s.remainingSeconds, true);
      if (s.warning) warning.textContent = s.warning;
      if (s.session.status === 'ENDED') finish(`Session ended: ${reasonText(s.session.endReason)}.`, 'warning');
    } catch (e) {
      // (A heartbeat answered after the session ended says it has ended: the summary stays.)
      if (sessionId !== id) return;
      if (e instanceof ApiError && e.code === 'live_quota_exceeded') {
        warning.textContent = `${e.message}; the session was ended.${renewal(e.details.retry_after_seconds as number | undefined)}`;
        finish('Session ended: the quota is used up.', 'warning');
      } else if (e instanceof ApiError && (e.code === 'conflict' || e.code === 'not_found')) {
        finish(`Session ended: ${e.message}.`, 'warning');
      } else {
        setStatus(status, `Heartbeat failed: ${explain(e)}`, 'warning');
      }
    }
  }

  startForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (socket) return;
    startButton.disabled = true;
    ended = false;
    warning.textContent = '';
    // Audio may start only from a gesture: this one.
    player = new PcmPlayer();
    setStatus(status, 'Connecting…');
    void auth.accessToken().then((token) => {
      if (!token) return finish('Sign in again to start a session.', 'error');
      const sessionType = avatarMode.checked ? 'avatar' : 'voice';
      connect(token, { session_type: sessionType, ...(language.value.trim() ? { language: language.value.trim() } : {}) });
    });
  });

  /**
   * Opens the live socket and sends `start-session` with `start`: a new session, or the
   * session_id of the one under way when the socket closed because the access token expired
   * (4401 `invalid_token: token_expired`: the session stays active for a fresh token to bind to).
   */
  function connect(token: string, start: Record<string, unknown>): void {
    const ws = new WebSocket(wsUrl(`/api/live/ws?token=${encodeURIComponent(token)}`));
    socket = ws;
    ws.onopen = () => send('start-session', start);
    ws.onmessage = (m: MessageEvent<string>) => {
      let frame: Frame;
      try {
        frame = JSON.parse(m.data) as Frame;
      } catch {
        return setStatus(status, 'The gateway sent a frame that is not JSON.', 'error');
      }
      onFrame(frame);
    };
    ws.onclose = (ev) => {
      if (socket !== ws || ended) return;
      if (ev.code === 4401 && ev.reason.endsWith('token_expired') && sessionId) {
        const id = sessionId;
        setStatus(status, 'Reconnecting with a fresh token…');
        void auth.accessToken().then((fresh) => (fresh ? connect(fresh, { session_id: id }) : finish('Sign in again: the session could not go on.', 'error')));
        return;
      }
      finish(sessionId ? `The connection closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''}); the session ends with it.` : 'The live socket could not be opened.', 'error');
    };
  }

  sayForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = say.value.trim();
    if (!text || !sessionId) return;
    send('audio-input', { text, final: true });
    say.value = '';
  });

  micButton.addEventListener('click', () => {
    if (!sessionId) return;
    if (!mic) {
      const capture = new MicCapture(
        (audio) => {
          send('audio-input', { audio, final: false });
          micHint.textContent = `Recording: ${capture.seconds.toFixed(1)} s sent.`;
        },
        (rms) => (micLevel.value = Math.min(1, rms * 4)),
      );
      mic = capture;
      micButton.disabled = true;
      capture.start().then(
        () => {
          micButton.disabled = false;
          micButton.textContent = 'Stop talking';
          setStatus(status, 'Listening… press Stop talking when you are done.');
        },
        (err: unknown) => {
          mic = null;
          micButton.disabled = false;
          setStatus(status, `The microphone is not available (${explain(err)}): type instead.`, 'warning');
        },
      );
    } else {
      const capture = mic;
      mic = null;
      micButton.textContent = 'Start talking';
      micLevel.value = 0;
      void capture.stop().then(() => {
        micHint.textContent = `Sent ${capture.seconds.toFixed(1)} s of audio.`;
        const text = say.value.trim();
        send('audio-input', { final: true, ...(text ? { text } : {}) });
        say.value = '';
        setStatus(status, 'Sent; waiting for the reply…');
      });
    }
  });
  if (!MicCapture.available()) micHint.textContent = 'No microphone here (it needs HTTPS or localhost): type instead.';

  endButton.addEventListener('click', () => {
    if (!sessionId) return;
    endButton.disabled = true;
    setStatus(status, 'Ending the session…');
    send('end-session', { reason: 'client' });
  });

  main.append(
    h('h1', null, 'Xentree Live'),
    h('section', { class: 'card', 'aria-labelledby': 'quota-h' }, h('h2', { id: 'quota-h' }, 'Live minutes'), h('label', { for: 'quota-meter' }, 'Used this month'), meter, quotaText, activeElsewhere),
    h('section', { class: 'card' }, startForm),
    status,
    warning,
    panel,
  );
  void loadQuota();
  return () => {
    // Leaving the page ends the session (a closed socket would end it too, metered to its last frame).
    if (sessionId) send('end-session', { reason: 'client' });
    ended = true;
    stopTimers();
    void mic?.stop();
    player?.close();
    socket?.close(1000);
  };
}
