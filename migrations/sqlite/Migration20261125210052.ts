import { Migration } from '@mikro-orm/migrations';

export class Migration20261125210052 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`xel_activity_days\` (\`id\` text not null, \`user_id\` text not null, \`day\` text not null, \`xp\` integer not null default 0, \`tasks\` integer not null default 0, constraint \`xel_activity_days_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`xel_activity_days_user_id_index\` on \`xel_activity_days\` (\`user_id\`);`);
    this.addSql(`create unique index \`xel_activity_days_user_day_unique\` on \`xel_activity_days\` (\`user_id\`, \`day\`);`);

    this.addSql(`create table \`xel_evaluations\` (\`id\` text not null, \`user_id\` text not null, \`kind\` text not null, \`overall_score\` real not null, \`cefr_estimate\` text not null, \`evaluator\` text not null, \`result\` json not null, \`created_at\` datetime not null, constraint \`xel_evaluations_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`xel_evaluations_user_id_index\` on \`xel_evaluations\` (\`user_id\`);`);
    this.addSql(`create index \`xel_evaluations_user_created_index\` on \`xel_evaluations\` (\`user_id\`, \`created_at\`);`);

    this.addSql(`create table \`xel_modules\` (\`id\` text not null, \`slug\` text not null, \`version\` integer not null, \`position\` integer not null, \`title\` text not null, \`description\` text not null, \`level\` text not null, \`skill\` text not null, \`estimated_minutes\` integer not null, \`retired_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`xel_modules_slug_unique\` on \`xel_modules\` (\`slug\`);`);

    this.addSql(`create table \`xel_profiles\` (\`id\` text not null, \`user_id\` text not null, \`xp_total\` integer not null default 0, \`daily_goal_xp\` integer not null default 30, \`current_streak\` integer not null default 0, \`longest_streak\` integer not null default 0, \`last_active_day\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`xel_profiles_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`xel_profiles_user_id_index\` on \`xel_profiles\` (\`user_id\`);`);
    this.addSql(`create unique index \`xel_profiles_user_unique\` on \`xel_profiles\` (\`user_id\`);`);

    this.addSql(`create table \`xel_tasks\` (\`id\` text not null, \`module_id\` text not null, \`key\` text not null, \`position\` integer not null, \`type\` text not null, \`prompt\` text not null, \`passage\` text null, \`content\` json not null, \`max_score\` integer not null, \`retired_at\` datetime null, constraint \`xel_tasks_module_id_foreign\` foreign key(\`module_id\`) references \`xel_modules\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`xel_tasks_module_id_index\` on \`xel_tasks\` (\`module_id\`);`);
    this.addSql(`create unique index \`xel_tasks_module_key_unique\` on \`xel_tasks\` (\`module_id\`, \`key\`);`);

    this.addSql(`create table \`xel_submissions\` (\`id\` text not null, \`user_id\` text not null, \`task_id\` text not null, \`module_id\` text not null, \`skill\` text not null, \`response\` text not null, \`duration_seconds\` real null, \`score\` integer not null, \`max_score\` integer not null, \`passed\` integer not null, \`feedback\` text not null, \`xp_awarded\` integer not null, \`evaluation\` json null, \`day\` text not null, \`created_at\` datetime not null, constraint \`xel_submissions_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, constraint \`xel_submissions_task_id_foreign\` foreign key(\`task_id\`) references \`xel_tasks\`(\`id\`) on delete cascade on update cascade, constraint \`xel_submissions_module_id_foreign\` foreign key(\`module_id\`) references \`xel_modules\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`xel_submissions_user_id_index\` on \`xel_submissions\` (\`user_id\`);`);
    this.addSql(`create index \`xel_submissions_task_id_index\` on \`xel_submissions\` (\`task_id\`);`);
    this.addSql(`create index \`xel_submissions_module_id_index\` on \`xel_submissions\` (\`module_id\`);`);
    this.addSql(`create index \`xel_submissions_user_created_index\` on \`xel_submissions\` (\`user_id\`, \`created_at\`);`);

    this.addSql(`create table \`xel_task_progress\` (\`id\` text not null, \`user_id\` text not null, \`task_id\` text not null, \`module_id\` text not null, \`attempts\` integer not null default 0, \`best_score\` integer not null default 0, \`completed\` integer not null default false, \`xp_earned\` integer not null default 0, \`completed_at\` datetime null, \`last_attempt_at\` datetime null, constraint \`xel_task_progress_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, constraint \`xel_task_progress_task_id_foreign\` foreign key(\`task_id\`) references \`xel_tasks\`(\`id\`) on delete cascade on update cascade, constraint \`xel_task_progress_module_id_foreign\` foreign key(\`module_id\`) references \`xel_modules\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`xel_task_progress_user_id_index\` on \`xel_task_progress\` (\`user_id\`);`);
    this.addSql(`create index \`xel_task_progress_task_id_index\` on \`xel_task_progress\` (\`task_id\`);`);
    this.addSql(`create index \`xel_task_progress_module_id_index\` on \`xel_task_progress\` (\`module_id\`);`);
    this.addSql(`create index \`xel_task_progress_user_module_index\` on \`xel_task_progress\` (\`user_id\`, \`module_id\`);`);
    this.addSql(`create unique index \`xel_task_progress_user_task_unique\` on \`xel_task_progress\` (\`user_id\`, \`task_id\`);`);
  }

}
