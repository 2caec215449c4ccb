CREATE TABLE "session_participants" (
	"sid" text NOT NULL,
	"user_id" text NOT NULL,
	"first_attached_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_attached_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_participants_sid_user_id_pk" PRIMARY KEY("sid","user_id")
);
--> statement-breakpoint
ALTER TABLE "exec_sessions" ADD COLUMN "owner_id" text;--> statement-breakpoint
ALTER TABLE "session_participants" ADD CONSTRAINT "session_participants_sid_exec_sessions_sid_fk" FOREIGN KEY ("sid") REFERENCES "public"."exec_sessions"("sid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_participants" ADD CONSTRAINT "session_participants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;