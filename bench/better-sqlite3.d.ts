/** The little of better-sqlite3 the floor anchor uses (the package ships no types; MikroORM reaches it through Kysely). */
declare module 'better-sqlite3' {
  interface Statement<P extends unknown[], R> {
    get(...params: P): R | undefined;
  }
  class Database {
    constructor(file: string, options?: { readonly?: boolean });
    prepare<P extends unknown[], R>(sql: string): Statement<P, R>;
  }
  export default Database;
}
