import { Migration } from '@mikro-orm/migrations';

export class Migration20261202191236 extends Migration {

  override name = 'Migration20261202191236';

  override up(): void | Promise<void> {
    this.addSql(`create table \`conversation_sessions\` (\`id\` text not null primary key, \`user_id\` text not null, \`conversation_id\` text null, \`active_key\` text null, \`status\` text not null default 'active', \`started_at\` datetime not null, \`last_activity_at\` datetime not null, \`ended_at\` datetime null, \`active_seconds\` integer not null default 0, constraint \`conversation_sessions_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete cascade, constraint \`conversation_sessions_conversation_id_foreign\` foreign key (\`conversation_id\`) references \`conversations\` (\`id\`) on update cascade on delete set null);`);
    this.addSql(`create unique index \`conversation_sessions_active_key_unique\` on \`conversation_sessions\` (\`active_key\`);`);
    this.addSql(`create index \`conversation_sessions_status_activity_index\` on \`conversation_sessions\` (\`status\`, \`last_activity_at\`);`);
    this.addSql(`create index \`conversation_sessions_conversation_index\` on \`conversation_sessions\` (\`conversation_id\`);`);
    this.addSql(`create index \`conversation_sessions_user_started_index\` on \`conversation_sessions\` (\`user_id\`, \`started_at\`);`);

  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`conversation_sessions\`;`);

  }

}
