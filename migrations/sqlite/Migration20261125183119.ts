import { Migration } from '@mikro-orm/migrations';

export class Migration20261125183119 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`live_usage\` (\`id\` text not null, \`user_id\` text not null, \`period_start\` datetime not null, \`used_seconds\` integer not null default 0, constraint \`live_usage_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`live_usage_user_period_unique\` on \`live_usage\` (\`user_id\`, \`period_start\`);`);

    this.addSql(`create table \`live_transcripts\` (\`id\` text not null, \`user_id\` text not null, \`session_id\` text null, \`session_started_at\` datetime not null, \`session_ended_at\` datetime not null, \`turns\` json not null, \`created_at\` datetime not null, constraint \`live_transcripts_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`live_transcripts_user_started_index\` on \`live_transcripts\` (\`user_id\`, \`session_started_at\`);`);

    this.addSql(`create table \`live_sessions\` (\`id\` text not null, \`user_id\` text not null, \`active_user_id\` text null, \`session_type\` text not null, \`language\` text null, \`avatar_id\` text null, \`status\` text not null default 'active', \`started_at\` datetime not null, \`last_seen_at\` datetime not null, \`ended_at\` datetime null, \`end_reason\` text null, \`used_seconds\` integer null, \`period_start\` datetime not null, constraint \`live_sessions_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`live_sessions_active_user_unique\` on \`live_sessions\` (\`active_user_id\`);`);
    this.addSql(`create index \`live_sessions_status_seen_index\` on \`live_sessions\` (\`status\`, \`last_seen_at\`);`);
    this.addSql(`create index \`live_sessions_user_started_index\` on \`live_sessions\` (\`user_id\`, \`started_at\`);`);
  }

}
