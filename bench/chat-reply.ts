/** The model the chat-stream benchmark's upstream serves, and its reply (shared by the server and the clients). */
export const MODEL = 'bench-model';

/** The reply of `n` tokens: " w1", " w2"…, so a client can check it received all of it, in order. */
export const tokensOf = (n: number): string[] => Array.from({ length: n }, (_, i) => ` w${i + 1}`);
