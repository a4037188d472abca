import { Migration } from '@mikro-orm/migrations';

export class Migration20261125170400 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`users\` (\`id\` text not null, \`email\` text not null, \`email_normalized\` text not null, \`username\` text not null, \`username_normalized\` text not null, \`password_hash\` text not null, \`full_name\` text null, \`nickname\` text null, \`preferred_language\` text not null default 'en', \`timezone\` text not null default 'UTC', \`avatar_url\` text null, \`plan\` text not null default 'free', \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`users_email_normalized_unique\` on \`users\` (\`email_normalized\`);`);
    this.addSql(`create unique index \`users_username_normalized_unique\` on \`users\` (\`username_normalized\`);`);
    this.addSql(`create index \`users_created_at_index\` on \`users\` (\`created_at\`);`);

    this.addSql(`create table \`login_sessions\` (\`id\` text not null, \`user_id\` text not null, \`created_at\` datetime not null, \`last_used_at\` datetime not null, \`expires_at\` datetime not null, \`revoked_at\` datetime null, \`revoked_reason\` text null, \`user_agent\` text null, \`ip\` text null, constraint \`login_sessions_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`login_sessions_user_id_index\` on \`login_sessions\` (\`user_id\`);`);
    this.addSql(`create index \`login_sessions_user_index\` on \`login_sessions\` (\`user_id\`, \`revoked_at\`);`);

    this.addSql(`create table \`refresh_tokens\` (\`id\` text not null, \`session_id\` text not null, \`token_hash\` text not null, \`created_at\` datetime not null, \`used_at\` datetime null, constraint \`refresh_tokens_session_id_foreign\` foreign key(\`session_id\`) references \`login_sessions\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`refresh_tokens_session_index\` on \`refresh_tokens\` (\`session_id\`);`);
    this.addSql(`create unique index \`refresh_tokens_hash_unique\` on \`refresh_tokens\` (\`token_hash\`);`);
  }

}
