/** The form uniqueness is checked in: case and Unicode compatibility forms do not make a new name. */
export const normalizeEmail = (email: string): string => email.trim().normalize('NFKC').toLowerCase();
export const normalizeUsername = (username: string): string => username.trim().normalize('NFKC').toLowerCase();
