using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Floodgate.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AuditLog",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Time = table.Column<long>(type: "INTEGER", nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Action = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    TargetKind = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    TargetId = table.Column<int>(type: "INTEGER", nullable: true),
                    Details = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditLog", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Plans",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Limits_MaxMessageSizeBytes = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_MaxRecipientsPerMessage = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Client_ExternalRecipientsPerDay = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Client_ExternalRecipientsPerHour = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Client_InternalRecipientsPerDay = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Client_InternalRecipientsPerHour = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Client_MessagesPerHour = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Domain_ExternalRecipientsPerDay = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Domain_ExternalRecipientsPerHour = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Domain_InternalRecipientsPerDay = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Domain_InternalRecipientsPerHour = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Domain_MessagesPerHour = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Mailbox_ExternalRecipientsPerDay = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Mailbox_ExternalRecipientsPerHour = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Mailbox_InternalRecipientsPerDay = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Mailbox_InternalRecipientsPerHour = table.Column<int>(type: "INTEGER", nullable: false),
                    Limits_Mailbox_MessagesPerHour = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Plans", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "StateVersions",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StateVersions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TransactionLog",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Time = table.Column<long>(type: "INTEGER", nullable: false),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: true),
                    MailboxAddress = table.Column<string>(type: "TEXT", nullable: true),
                    DomainId = table.Column<int>(type: "INTEGER", nullable: true),
                    ClientId = table.Column<int>(type: "INTEGER", nullable: true),
                    ClientAddress = table.Column<string>(type: "TEXT", nullable: true),
                    FrontDoor = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    EnvelopeSender = table.Column<string>(type: "TEXT", nullable: true),
                    RecipientCount = table.Column<int>(type: "INTEGER", nullable: false),
                    ExternalRecipientCount = table.Column<int>(type: "INTEGER", nullable: false),
                    RecipientDomains = table.Column<string>(type: "TEXT", nullable: true),
                    SizeBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    MessageId = table.Column<string>(type: "TEXT", nullable: true),
                    Verdict = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    VerdictCode = table.Column<string>(type: "TEXT", nullable: true),
                    VerdictReason = table.Column<string>(type: "TEXT", nullable: true),
                    UpstreamReply = table.Column<string>(type: "TEXT", nullable: true),
                    PolicyMicros = table.Column<long>(type: "INTEGER", nullable: false),
                    RelayMicros = table.Column<long>(type: "INTEGER", nullable: false),
                    TotalMicros = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TransactionLog", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Clients",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ContactName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ContactPhone = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    ContactEmail = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    StatusReason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    PlanId = table.Column<int>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Clients", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Clients_Plans_PlanId",
                        column: x => x.PlanId,
                        principalTable: "Plans",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Domains",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ClientId = table.Column<int>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    StatusReason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Domains", x => x.Id);
                    table.CheckConstraint("CK_Domains_Name_Lower", "\"Name\" = lower(\"Name\")");
                    table.ForeignKey(
                        name: "FK_Domains_Clients_ClientId",
                        column: x => x.ClientId,
                        principalTable: "Clients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Mailboxes",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DomainId = table.Column<int>(type: "INTEGER", nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    DisplayName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    PasswordHash = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    AllowedSenders = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    StatusReason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Mailboxes", x => x.Id);
                    table.CheckConstraint("CK_Mailboxes_Address_Lower", "\"Address\" = lower(\"Address\")");
                    table.ForeignKey(
                        name: "FK_Mailboxes_Domains_DomainId",
                        column: x => x.DomainId,
                        principalTable: "Domains",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.InsertData(
                table: "StateVersions",
                columns: new[] { "Id", "Version" },
                values: new object[] { 1, 0L });

            migrationBuilder.CreateIndex(
                name: "IX_AuditLog_TargetKind_TargetId",
                table: "AuditLog",
                columns: new[] { "TargetKind", "TargetId" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditLog_Time",
                table: "AuditLog",
                column: "Time");

            migrationBuilder.CreateIndex(
                name: "IX_Clients_Name",
                table: "Clients",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Clients_PlanId",
                table: "Clients",
                column: "PlanId");

            migrationBuilder.CreateIndex(
                name: "IX_Domains_ClientId",
                table: "Domains",
                column: "ClientId");

            migrationBuilder.CreateIndex(
                name: "IX_Domains_Name",
                table: "Domains",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Mailboxes_Address",
                table: "Mailboxes",
                column: "Address",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Mailboxes_DomainId",
                table: "Mailboxes",
                column: "DomainId");

            migrationBuilder.CreateIndex(
                name: "IX_Plans_Name",
                table: "Plans",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TransactionLog_MailboxAddress_Time",
                table: "TransactionLog",
                columns: new[] { "MailboxAddress", "Time" });

            migrationBuilder.CreateIndex(
                name: "IX_TransactionLog_Time",
                table: "TransactionLog",
                column: "Time");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditLog");

            migrationBuilder.DropTable(
                name: "Mailboxes");

            migrationBuilder.DropTable(
                name: "StateVersions");

            migrationBuilder.DropTable(
                name: "TransactionLog");

            migrationBuilder.DropTable(
                name: "Domains");

            migrationBuilder.DropTable(
                name: "Clients");

            migrationBuilder.DropTable(
                name: "Plans");
        }
    }
}
