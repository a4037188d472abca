import { Migration } from '@mikro-orm/migrations';

export class Migration20261125210052 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "xel_activity_days" ("id" uuid not null, "user_id" uuid not null, "day" varchar(10) not null, "xp" int not null default 0, "tasks" int not null default 0, constraint "xel_activity_days_pkey" primary key ("id"));`);
    this.addSql(`alter table "xel_activity_days" add constraint "xel_activity_days_user_day_unique" unique ("user_id", "day");`);

    this.addSql(`create table "xel_evaluations" ("id" uuid not null, "user_id" uuid not null, "kind" varchar(10) not null, "overall_score" real not null, "cefr_estimate" varchar(2) not null, "evaluator" varchar(300) not null, "result" jsonb not null, "created_at" timestamptz not null, constraint "xel_evaluations_pkey" primary key ("id"));`);
    this.addSql(`create index "xel_evaluations_user_created_index" on "xel_evaluations" ("user_id", "created_at");`);

    this.addSql(`create table "xel_modules" ("id" uuid not null, "slug" varchar(80) not null, "version" int not null, "position" int not null, "title" varchar(200) not null, "description" text not null, "level" varchar(2) not null, "skill" varchar(20) not null, "estimated_minutes" int not null, "retired_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "xel_modules_pkey" primary key ("id"));`);
    this.addSql(`alter table "xel_modules" add constraint "xel_modules_slug_unique" unique ("slug");`);

    this.addSql(`create table "xel_profiles" ("id" uuid not null, "user_id" uuid not null, "xp_total" int not null default 0, "daily_goal_xp" int not null default 30, "current_streak" int not null default 0, "longest_streak" int not null default 0, "last_active_day" varchar(10) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "xel_profiles_pkey" primary key ("id"));`);
    this.addSql(`alter table "xel_profiles" add constraint "xel_profiles_user_unique" unique ("user_id");`);

    this.addSql(`create table "xel_tasks" ("id" uuid not null, "module_id" uuid not null, "key" varchar(20) not null, "position" int not null, "type" varchar(20) not null, "prompt" text not null, "passage" text null, "content" jsonb not null, "max_score" int not null, "retired_at" timestamptz null, constraint "xel_tasks_pkey" primary key ("id"));`);
    this.addSql(`alter table "xel_tasks" add constraint "xel_tasks_module_key_unique" unique ("module_id", "key");`);

    this.addSql(`create table "xel_submissions" ("id" uuid not null, "user_id" uuid not null, "task_id" uuid not null, "module_id" uuid not null, "skill" varchar(20) not null, "response" text not null, "duration_seconds" real null, "score" int not null, "max_score" int not null, "passed" boolean not null, "feedback" text not null, "xp_awarded" int not null, "evaluation" jsonb null, "day" varchar(10) not null, "created_at" timestamptz not null, constraint "xel_submissions_pkey" primary key ("id"));`);
    this.addSql(`create index "xel_submissions_user_created_index" on "xel_submissions" ("user_id", "created_at");`);

    this.addSql(`create table "xel_task_progress" ("id" uuid not null, "user_id" uuid not null, "task_id" uuid not null, "module_id" uuid not null, "attempts" int not null default 0, "best_score" int not null default 0, "completed" boolean not null default false, "xp_earned" int not null default 0, "completed_at" timestamptz null, "last_attempt_at" timestamptz null, constraint "xel_task_progress_pkey" primary key ("id"));`);
    this.addSql(`create index "xel_task_progress_user_module_index" on "xel_task_progress" ("user_id", "module_id");`);
    this.addSql(`alter table "xel_task_progress" add constraint "xel_task_progress_user_task_unique" unique ("user_id", "task_id");`);

    this.addSql(`alter table "xel_activity_days" add constraint "xel_activity_days_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "xel_evaluations" add constraint "xel_evaluations_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "xel_profiles" add constraint "xel_profiles_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "xel_tasks" add constraint "xel_tasks_module_id_foreign" foreign key ("module_id") references "xel_modules" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "xel_submissions" add constraint "xel_submissions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "xel_submissions" add constraint "xel_submissions_task_id_foreign" foreign key ("task_id") references "xel_tasks" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "xel_submissions" add constraint "xel_submissions_module_id_foreign" foreign key ("module_id") references "xel_modules" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "xel_task_progress" add constraint "xel_task_progress_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "xel_task_progress" add constraint "xel_task_progress_task_id_foreign" foreign key ("task_id") references "xel_tasks" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "xel_task_progress" add constraint "xel_task_progress_module_id_foreign" foreign key ("module_id") references "xel_modules" ("id") on update cascade on delete cascade;`);

  }

  override async down(): Promise<void> {
    this.addSql(`alter table "xel_tasks" drop constraint "xel_tasks_module_id_foreign";`);

    this.addSql(`alter table "xel_submissions" drop constraint "xel_submissions_module_id_foreign";`);

    this.addSql(`alter table "xel_task_progress" drop constraint "xel_task_progress_module_id_foreign";`);

    this.addSql(`alter table "xel_submissions" drop constraint "xel_submissions_task_id_foreign";`);

    this.addSql(`alter table "xel_task_progress" drop constraint "xel_task_progress_task_id_foreign";`);

    this.addSql(`drop table if exists "xel_activity_days" cascade;`);

    this.addSql(`drop table if exists "xel_evaluations" cascade;`);

    this.addSql(`drop table if exists "xel_modules" cascade;`);

    this.addSql(`drop table if exists "xel_profiles" cascade;`);

    this.addSql(`drop table if exists "xel_tasks" cascade;`);

    this.addSql(`drop table if exists "xel_submissions" cascade;`);

    this.addSql(`drop table if exists "xel_task_progress" cascade;`);

  }

}
