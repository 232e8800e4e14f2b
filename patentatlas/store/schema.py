"""The store's schema: ordered migrations, each applied once and recorded in the store.

Add a migration by appending to :data:`MIGRATIONS`; never edit one that has shipped.
"""

from __future__ import annotations

import duckdb

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "patents, parties, links, legal events, citations, batches, quarantine, reference",
        """
        CREATE TABLE import_batches (
            batch_id INTEGER PRIMARY KEY,
            file VARCHAR NOT NULL,
            part INTEGER NOT NULL DEFAULT 1,
            format VARCHAR,
            checksum VARCHAR,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            rows_read INTEGER DEFAULT 0,
            loaded INTEGER DEFAULT 0,
            updated INTEGER DEFAULT 0,
            unchanged INTEGER DEFAULT 0,
            quarantined INTEGER DEFAULT 0
        );
        -- no PRIMARY KEY: DuckDB rewrites a key index at every commit, which made bulk imports
        -- twice as slow; the loader keeps application_number unique (tests check it)
        CREATE TABLE patents (
            application_number VARCHAR NOT NULL,
            country VARCHAR NOT NULL,
            patent_type VARCHAR,
            filing_date DATE,
            publication_number VARCHAR,
            publication_kind VARCHAR,
            publication_date DATE,
            grant_date DATE,
            priority_date DATE,
            title_zh VARCHAR,
            title_en VARCHAR,
            abstract_zh VARCHAR,
            abstract_en VARCHAR,
            main_claim VARCHAR,
            ipc_main VARCHAR,
            ipc_codes VARCHAR[],
            cpc_codes VARCHAR[],
            claim_count INTEGER,
            family_size INTEGER,
            family_members VARCHAR[],
            has_overseas_family BOOLEAN,
            backward_citation_count INTEGER,
            forward_citation_count INTEGER,
            status VARCHAR,
            status_text VARCHAR,
            source_nic_codes VARCHAR[],
            source_sei_labels VARCHAR[],
            publications STRUCT(publication_number VARCHAR, kind VARCHAR, publication_date DATE)[],
            legal_events STRUCT(event_date DATE, code VARCHAR, description VARCHAR)[],
            cited_publications VARCHAR[],
            citing_publications VARCHAR[],
            applicant_names VARCHAR[],
            first_applicant_address VARCHAR,
            inventor_names VARCHAR[],
            agency_names VARCHAR[],
            first_applicant_region_code VARCHAR,
            first_applicant_province_code VARCHAR,
            first_applicant_city_code VARCHAR,
            first_applicant_county_code VARCHAR,
            first_applicant_country VARCHAR,
            extra JSON,
            biblio_rank INTEGER,
            first_batch_id INTEGER,
            last_batch_id INTEGER
        );
        CREATE TABLE parties (
            party_id BIGINT PRIMARY KEY,
            name VARCHAR NOT NULL,
            normalized_name VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            address VARCHAR,
            country VARCHAR,
            province_code VARCHAR,
            city_code VARCHAR,
            county_code VARCHAR,
            township_code VARCHAR,
            region_code VARCHAR,
            region_method VARCHAR,
            region_confidence DOUBLE
        );
        CREATE TABLE patent_parties (
            application_number VARCHAR NOT NULL,
            party_id BIGINT NOT NULL,
            role VARCHAR NOT NULL,
            seq INTEGER NOT NULL
        );
        CREATE TABLE status_changes (
            application_number VARCHAR NOT NULL,
            batch_id INTEGER NOT NULL,
            observed_on DATE NOT NULL,
            old_status VARCHAR,
            new_status VARCHAR,
            old_status_text VARCHAR,
            new_status_text VARCHAR
        );
        CREATE TABLE quarantine (
            batch_id INTEGER NOT NULL,
            file VARCHAR NOT NULL,
            sheet VARCHAR,
            row_number INTEGER NOT NULL,
            field VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            raw JSON
        );
        -- a patent's publications, legal events and citations live in its row (the row is the
        -- whole merged record, so re-imports compare one row); these views give them as tables
        CREATE VIEW publications AS
            SELECT application_number, p.publication_number, p.kind, p.publication_date
            FROM (SELECT application_number, unnest(publications) AS p FROM patents);
        CREATE VIEW legal_events AS
            SELECT application_number, e.event_date, e.code, e.description
            FROM (SELECT application_number, unnest(legal_events) AS e FROM patents);
        CREATE VIEW citations AS
            SELECT application_number, 'backward' AS direction, unnest(cited_publications)
                AS publication_number FROM patents
            UNION ALL
            SELECT application_number, 'forward', unnest(citing_publications) FROM patents;
        CREATE TABLE regions (
            code VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            level VARCHAR NOT NULL,
            parent_code VARCHAR,
            population_2020 BIGINT,
            lng DOUBLE,
            lat DOUBLE
        );
        CREATE TABLE ipc (
            code VARCHAR PRIMARY KEY,
            level VARCHAR,
            title_zh VARCHAR,
            title_en VARCHAR
        );
        """,
    ),    (
        2,
        "industries of patents, specialty databases, population tables, versioned rule sets",
        """
        -- derived at import from the IPC codes (2021 SEI concordance); sei_judged is false where
        -- the concordance cannot judge (no IPC code, or only H01L/H10, which it lacks)
        ALTER TABLE patents ADD COLUMN sei_codes VARCHAR[];
        ALTER TABLE patents ADD COLUMN sei_judged BOOLEAN;
        ALTER TABLE patents ADD COLUMN nic_codes VARCHAR[];
        CREATE TABLE sei_industries (
            code VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            parent_code VARCHAR,
            level VARCHAR NOT NULL
        );
        CREATE TABLE specialty_databases (
            db_id VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            ipc_codes VARCHAR[],
            keywords VARCHAR[],
            applicants VARCHAR[],
            created_at TIMESTAMP NOT NULL DEFAULT now(),
            PRIMARY KEY (db_id, version)
        );
        CREATE TABLE specialty_members (
            db_id VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            application_number VARCHAR NOT NULL,
            matched_by VARCHAR NOT NULL
        );
        -- the office's own population figures; the 2020 census in regions is the default
        CREATE TABLE population (
            region_code VARCHAR NOT NULL,
            year INTEGER NOT NULL,
            population BIGINT NOT NULL,
            source VARCHAR NOT NULL,
            PRIMARY KEY (region_code, year)
        );
        -- rules offices change (fees, thresholds, weights): data with a version and a source
        CREATE TABLE rule_sets (
            name VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            source VARCHAR NOT NULL,
            body JSON NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT now(),
            PRIMARY KEY (name, version)
        );
        """,
    ),
    (
        3,
        "accounts, sessions, audit, enterprises, custody, fee payments, warnings and their deliveries",
        """
        -- when the data of an import was observed: a patent seen in force by a later import
        -- settles the fee whose grace period ended before it (REFERENCE §3, issue 4)
        ALTER TABLE import_batches ADD COLUMN observed_on DATE;
        UPDATE import_batches SET observed_on = CAST(coalesce(finished_at, started_at) AS DATE);
        -- national-economy industries follow from the SEI codes (reference.sei.nic_for_sei): stored,
        -- they cost 15 % of the import's speed and said nothing new
        ALTER TABLE patents DROP COLUMN nic_codes;
        CREATE SEQUENCE user_ids START 1;
        CREATE TABLE users (
            user_id INTEGER PRIMARY KEY DEFAULT nextval('user_ids'),
            email VARCHAR NOT NULL UNIQUE,
            display_name VARCHAR,
            role VARCHAR NOT NULL,            -- admin | analyst | enterprise
            region_code VARCHAR,              -- an analyst's region
            enterprise_id INTEGER,            -- an enterprise user's enterprise
            password_hash VARCHAR,            -- argon2id; NULL until the invitation is accepted
            invite_token_hash VARCHAR,
            invite_expires_at TIMESTAMP,
            active BOOLEAN NOT NULL DEFAULT true,
            created_at TIMESTAMP NOT NULL DEFAULT now()
        );
        CREATE TABLE sessions (
            token_hash VARCHAR PRIMARY KEY,   -- sha256 of the cookie's token: a stolen file holds no live token
            user_id INTEGER NOT NULL,
            csrf_token VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            expires_at TIMESTAMP NOT NULL
        );
        CREATE TABLE sign_in_attempts (
            email VARCHAR NOT NULL,
            ip VARCHAR,
            attempted_at TIMESTAMP NOT NULL,
            ok BOOLEAN NOT NULL
        );
        CREATE TABLE audit_log (
            logged_at TIMESTAMP NOT NULL DEFAULT now(),
            user_id INTEGER,
            action VARCHAR NOT NULL,
            target VARCHAR,
            detail JSON,
            ip VARCHAR
        );
        CREATE SEQUENCE enterprise_ids START 1;
        CREATE TABLE enterprises (
            enterprise_id INTEGER PRIMARY KEY DEFAULT nextval('enterprise_ids'),
            name VARCHAR NOT NULL,
            uscc VARCHAR NOT NULL UNIQUE,
            name_variants VARCHAR[] NOT NULL DEFAULT [],
            region_code VARCHAR,
            revenue_band VARCHAR,
            rd_spending BIGINT,
            employees INTEGER,
            fee_reduction VARCHAR,            -- NULL (none declared) | single | joint
            notify_email VARCHAR,
            webhook_url VARCHAR,
            webhook_secret VARCHAR,
            watch_ipc VARCHAR[] NOT NULL DEFAULT [],
            watch_keywords VARCHAR[] NOT NULL DEFAULT [],
            watch_since TIMESTAMP,            -- new filings are those imported after the watch was set
            calendar_token VARCHAR UNIQUE,    -- the secret address of its .ics feed, for calendar apps
            created_at TIMESTAMP NOT NULL DEFAULT now(),
            updated_at TIMESTAMP NOT NULL DEFAULT now()
        );
        CREATE TABLE custody (
            enterprise_id INTEGER NOT NULL,
            application_number VARCHAR NOT NULL,
            source VARCHAR NOT NULL,          -- claimed (a confirmed proposal) | manual
            added_by INTEGER,
            added_at TIMESTAMP NOT NULL DEFAULT now(),
            PRIMARY KEY (enterprise_id, application_number)
        );
        -- proposals the enterprise declined: not proposed again
        CREATE TABLE custody_declined (
            enterprise_id INTEGER NOT NULL,
            application_number VARCHAR NOT NULL,
            PRIMARY KEY (enterprise_id, application_number)
        );
        CREATE TABLE fee_payments (
            application_number VARCHAR NOT NULL,
            patent_year INTEGER NOT NULL,
            paid_on DATE,
            amount INTEGER,
            receipt_number VARCHAR,
            source VARCHAR NOT NULL,          -- manual | import | settled (seen in force after the grace period)
            recorded_by INTEGER,
            recorded_at TIMESTAMP NOT NULL DEFAULT now(),
            PRIMARY KEY (application_number, patent_year)
        );
        -- a warning's key says what it is about, so the job never makes the same warning twice
        CREATE TABLE warnings (
            warning_key VARCHAR PRIMARY KEY,
            enterprise_id INTEGER NOT NULL,
            application_number VARCHAR,
            rule VARCHAR NOT NULL,
            severity VARCHAR NOT NULL,
            title VARCHAR NOT NULL,
            body VARCHAR NOT NULL,
            facts JSON NOT NULL,
            as_of DATE NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT now(),
            read_at TIMESTAMP
        );
        CREATE TABLE deliveries (
            warning_key VARCHAR NOT NULL,
            channel VARCHAR NOT NULL,         -- email | webhook
            target VARCHAR NOT NULL,
            status VARCHAR NOT NULL,          -- pending | sent | failed (retries exhausted)
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error VARCHAR,
            next_attempt_at TIMESTAMP,
            sent_at TIMESTAMP,
            PRIMARY KEY (warning_key, channel)
        );
        CREATE TABLE job_runs (
            job VARCHAR NOT NULL,
            as_of DATE NOT NULL,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            summary JSON
        );
        """,
    ),
    (
        4,
        "the basis of each patent's industries; what each import's file carried (coverage)",
        """
        -- ipc (all IPC codes) | main_ipc (the main IPC alone: incoPat's default template) |
        -- source_label (no IPC: the export's own 新兴产业分类); NULL: nothing to judge from.
        -- Patents stored before this migration with only a main IPC get theirs from
        -- 'patentatlas industries --recompute'.
        ALTER TABLE patents ADD COLUMN sei_basis VARCHAR;
        UPDATE patents SET sei_basis = 'ipc' WHERE len(ipc_codes) > 0;
        -- per batch: how many rows carried each field the indicators and fees depend on, which
        -- values were derived and how, the status words no vocabulary knows (domain.coverage)
        ALTER TABLE import_batches ADD COLUMN coverage JSON;
        """,
    ),
    (
        5,
        "the enterprise directory, its imports and quarantine; placements of patents with method and confidence",
        """
        -- the office's enterprise directory (the market-regulation registry), kept current by re-import
        CREATE TABLE directory_imports (
            import_id INTEGER PRIMARY KEY,
            file VARCHAR NOT NULL,
            format VARCHAR,
            checksum VARCHAR,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            rows_read INTEGER DEFAULT 0,
            loaded INTEGER DEFAULT 0,
            updated INTEGER DEFAULT 0,
            unchanged INTEGER DEFAULT 0,
            quarantined INTEGER DEFAULT 0,
            patents_placed INTEGER DEFAULT 0,
            patents_moved INTEGER DEFAULT 0
        );
        CREATE TABLE directory_quarantine (
            import_id INTEGER NOT NULL,
            file VARCHAR NOT NULL,
            sheet VARCHAR,
            row_number INTEGER NOT NULL,
            field VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            raw JSON
        );
        CREATE TABLE directory (
            entry_key VARCHAR PRIMARY KEY,    -- the credit code, else 'name:' + the normalised name
            name VARCHAR NOT NULL,
            normalized_name VARCHAR NOT NULL,
            former_names VARCHAR[] NOT NULL DEFAULT [],
            uscc VARCHAR,
            address VARCHAR,
            township VARCHAR,                 -- as the file writes it (乡镇/街道)
            industry VARCHAR,
            tags VARCHAR[] NOT NULL DEFAULT [],
            contact_person VARCHAR,
            contact_phone VARCHAR,
            province_code VARCHAR,
            city_code VARCHAR,
            county_code VARCHAR,
            township_code VARCHAR,
            region_method VARCHAR,            -- address | township | credit_code | name | none
            region_confidence DOUBLE,
            first_import_id INTEGER,
            last_import_id INTEGER,
            updated_at TIMESTAMP
        );
        -- where each patent's first applicant was placed, by which evidence and how sure; the codes
        -- themselves are the patents' first_applicant_* columns, which every region query reads
        CREATE TABLE placements (
            application_number VARCHAR NOT NULL,
            enterprise_key VARCHAR,           -- uscc:… | dir:… | name:… (one enterprise, whatever the spelling)
            enterprise_name VARCHAR,
            method VARCHAR NOT NULL,          -- directory | registration | address | name | source_country | …
            confidence DOUBLE NOT NULL,
            township_method VARCHAR,          -- the evidence that gave the township, where one is known
            evidence VARCHAR                  -- the directory entry, credit code, address or name relied on
        );
        ALTER TABLE parties ADD COLUMN enterprise_key VARCHAR;
        """,
    ),
    (
        6,
        "verified enterprises, custody requests, payments owned by who recorded them, trusted devices",
        """
        -- an enterprise that signs itself up waits until an admin or its region's analyst verifies it;
        -- those already holding patents in custody, or registered by an admin, are verified
        ALTER TABLE enterprises ADD COLUMN status VARCHAR DEFAULT 'pending';  -- pending | verified | refused
        ALTER TABLE enterprises ADD COLUMN decided_by INTEGER;
        ALTER TABLE enterprises ADD COLUMN decided_at TIMESTAMP;
        ALTER TABLE enterprises ADD COLUMN decision_note VARCHAR;
        UPDATE enterprises SET status = 'verified'
        WHERE enterprise_id IN (SELECT enterprise_id FROM custody)
           OR enterprise_id IN (SELECT TRY_CAST(json_extract_string(detail, '$.enterprise_id') AS INTEGER)
                                FROM audit_log WHERE action = 'enterprise.register' AND user_id IS NOT NULL);
        -- a patent added by hand that none of the enterprise's names applied for: an admin or the
        -- region's analyst decides
        CREATE SEQUENCE custody_request_ids START 1;
        CREATE TABLE custody_requests (
            request_id INTEGER PRIMARY KEY DEFAULT nextval('custody_request_ids'),
            enterprise_id INTEGER NOT NULL,
            application_number VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'pending',  -- pending | approved | refused
            requested_by INTEGER,
            requested_at TIMESTAMP NOT NULL,
            decided_by INTEGER,
            decided_at TIMESTAMP,
            decision_note VARCHAR
        );
        -- a payment is the record of the enterprise that made it: one enterprise's record never
        -- changes another's fee state. enterprise_id 0 is a public fact (an office's own list),
        -- which counts for everyone. Older rows go to the recording user's enterprise, else to the
        -- enterprise holding the patent in custody.
        CREATE TABLE fee_payments_v6 (
            enterprise_id INTEGER NOT NULL,
            application_number VARCHAR NOT NULL,
            patent_year INTEGER NOT NULL,
            paid_on DATE,
            amount INTEGER,
            receipt_number VARCHAR,
            source VARCHAR NOT NULL,          -- manual | import (the enterprise's payment list) | settled
            recorded_by INTEGER,
            recorded_at TIMESTAMP NOT NULL DEFAULT now(),
            PRIMARY KEY (enterprise_id, application_number, patent_year)
        );
        INSERT INTO fee_payments_v6
        SELECT coalesce((SELECT u.enterprise_id FROM users u WHERE u.user_id = f.recorded_by),
                        (SELECT min(c.enterprise_id) FROM custody c WHERE c.application_number = f.application_number),
                        0),
               f.application_number, f.patent_year, f.paid_on, f.amount, f.receipt_number, f.source, f.recorded_by,
               f.recorded_at
        FROM fee_payments f;
        DROP TABLE fee_payments;
        ALTER TABLE fee_payments_v6 RENAME TO fee_payments;
        -- the fees each enterprise counts as paid: its own records and the public facts
        CREATE VIEW enterprise_paid_fees AS
        SELECT DISTINCT c.enterprise_id, f.application_number, f.patent_year
        FROM custody c JOIN fee_payments f
          ON f.application_number = c.application_number AND f.enterprise_id IN (c.enterprise_id, 0);
        -- the fees the government end counts as paid: public facts, and any enterprise's record of a
        -- patent it holds in custody
        CREATE VIEW paid_fees AS
        SELECT DISTINCT f.application_number, f.patent_year FROM fee_payments f
        WHERE f.enterprise_id = 0 OR EXISTS (SELECT 1 FROM custody c WHERE c.enterprise_id = f.enterprise_id
                                             AND c.application_number = f.application_number);
        -- failed sign-ins are counted per e-mail and address; a browser that signed in before
        -- carries a device cookie (the store keeps its hash) and is counted on its own
        ALTER TABLE sign_in_attempts ADD COLUMN device VARCHAR;
        CREATE TABLE trusted_devices (
            token_hash VARCHAR NOT NULL,
            user_id INTEGER NOT NULL,
            first_seen TIMESTAMP NOT NULL,
            last_seen TIMESTAMP NOT NULL,
            PRIMARY KEY (token_hash, user_id)
        );
        """,
    ),
    (
        7,
        "who uploaded an import: a payment list's rejected rows are its enterprise's alone",
        """
        -- the enterprise whose payment list a batch is; NULL for the office's own imports (admins
        -- only). Older payment batches stay NULL: their uploader is not known, so admins alone see them
        ALTER TABLE import_batches ADD COLUMN enterprise_id INTEGER;
        """,
    ),
    (
        8,
        "scores: patent values, source value figures, enterprise profiles and tiers, valuation cases",
        """
        -- each patent's value score (domain.value), refreshed wholesale: r_* the component as read,
        -- n_* normalised within its cohort (main IPC subclass × filing year); missing: components absent
        CREATE TABLE patent_values (
            application_number VARCHAR NOT NULL,
            cohort_subclass VARCHAR,
            cohort_year INTEGER,
            cohort_size INTEGER,
            score DOUBLE, legal DOUBLE, technical DOUBLE, economic DOUBLE,
            r_forward_citations DOUBLE, r_backward_citations DOUBLE, r_family_size DOUBLE, r_overseas_family DOUBLE,
            r_claims DOUBLE, r_scope DOUBLE, r_grant_lag DOUBLE, r_remaining_life DOUBLE, r_legal_status DOUBLE,
            n_forward_citations DOUBLE, n_backward_citations DOUBLE, n_family_size DOUBLE, n_overseas_family DOUBLE,
            n_claims DOUBLE, n_scope DOUBLE, n_grant_lag DOUBLE, n_remaining_life DOUBLE, n_legal_status DOUBLE,
            missing VARCHAR[],
            rule_version INTEGER NOT NULL,
            as_of DATE NOT NULL,
            computed_at TIMESTAMP NOT NULL
        );
        -- a source's own value figures (Patentics 价值1–3, 质量, 专利度), kept as the export gave them
        CREATE TABLE source_value_figures (
            application_number VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            file VARCHAR NOT NULL,
            value1 DOUBLE, value2 DOUBLE, value3 DOUBLE, quality DOUBLE, patent_degree DOUBLE,
            imported_at TIMESTAMP NOT NULL,
            PRIMARY KEY (application_number, source)
        );
        -- what a registered enterprise enters for its tier (domain.tiers): revenue in yuan (the band
        -- stays), IP staff, certified IP management (GB/T 29490), listing stage (listed | preparing | none)
        ALTER TABLE enterprises ADD COLUMN revenue BIGINT;
        ALTER TABLE enterprises ADD COLUMN ip_staff INTEGER;
        ALTER TABLE enterprises ADD COLUMN ip_certified BOOLEAN;
        ALTER TABLE enterprises ADD COLUMN listing_stage VARCHAR;
        -- the office's profile data of any enterprise (CSV import), keyed as placement keys enterprises
        CREATE TABLE enterprise_profiles (
            enterprise_key VARCHAR PRIMARY KEY,  -- uscc:… | name:… (normalised name)
            name VARCHAR NOT NULL,
            uscc VARCHAR,
            region_code VARCHAR,
            year INTEGER,
            revenue BIGINT,
            rd_spending BIGINT,
            employees INTEGER,
            ip_staff INTEGER,
            ip_certified BOOLEAN,
            listing_stage VARCHAR,
            source VARCHAR NOT NULL,             -- the file it came from
            updated_at TIMESTAMP NOT NULL
        );
        -- the service package the office offers each tier, as it last edited it
        CREATE TABLE tier_packages (
            tier VARCHAR PRIMARY KEY,
            text VARCHAR NOT NULL,
            updated_by INTEGER,
            updated_at TIMESTAMP NOT NULL
        );
        -- pledge valuations (domain.valuation): a case belongs to an enterprise, or to the office (NULL);
        -- every save is a new version with its inputs and results, none overwritten
        CREATE SEQUENCE valuation_case_ids START 1;
        CREATE TABLE valuation_cases (
            case_id INTEGER PRIMARY KEY DEFAULT nextval('valuation_case_ids'),
            enterprise_id INTEGER,
            title VARCHAR NOT NULL,
            created_by INTEGER,
            created_at TIMESTAMP NOT NULL
        );
        CREATE TABLE valuation_versions (
            case_id INTEGER NOT NULL,
            version INTEGER NOT NULL,
            inputs JSON NOT NULL,
            result JSON NOT NULL,
            saved_by INTEGER,
            saved_at TIMESTAMP NOT NULL,
            PRIMARY KEY (case_id, version)
        );
        """,
    ),
    (
        9,
        "search: the store's token for its in-memory index, saved searches and their matches",
        """
        -- an in-memory store's search index is found by this token (a store file's index lives beside it)
        CREATE TABLE search_state (store_token VARCHAR NOT NULL);
        INSERT INTO search_state SELECT CAST(uuid() AS VARCHAR);
        CREATE SEQUENCE saved_search_ids START 1;
        CREATE TABLE saved_searches (
            saved_search_id INTEGER PRIMARY KEY DEFAULT nextval('saved_search_ids'),
            user_id INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            query VARCHAR NOT NULL,
            filters JSON NOT NULL,            -- region, industry, type, status, years, as the search page sends them
            created_at TIMESTAMP NOT NULL DEFAULT now()
        );
        -- patents an import brought that a saved search matches (the saved_search warning rule reads these)
        CREATE TABLE saved_search_matches (
            saved_search_id INTEGER NOT NULL,
            application_number VARCHAR NOT NULL,
            batch_id INTEGER NOT NULL,
            matched_at TIMESTAMP NOT NULL,
            PRIMARY KEY (saved_search_id, application_number)
        );
        """,
    ),
    (
        10,
        "fees that stay true: resolved warnings, cancelled deliveries, late fees paid; the follow-up log",
        """
        -- a warning stops asking once what it warned of is settled (a payment recorded): when and why;
        -- its pending deliveries are then 'cancelled' (deliveries.status), never sent
        ALTER TABLE warnings ADD COLUMN resolved_at TIMESTAMP;
        ALTER TABLE warnings ADD COLUMN resolved_reason VARCHAR;
        ALTER TABLE deliveries ADD COLUMN cancelled_at TIMESTAMP;
        -- the late fee paid with the fee (滞纳金), apart from the fee itself (amount)
        ALTER TABLE fee_payments ADD COLUMN late_fee INTEGER;
        -- the government end's follow-up of an enterprise (服务跟踪): one row per contact, shared by
        -- the analysts whose region holds region_code (the county where its patents are placed)
        CREATE SEQUENCE followup_ids START 1;
        CREATE TABLE followups (
            followup_id INTEGER PRIMARY KEY DEFAULT nextval('followup_ids'),
            enterprise_key VARCHAR NOT NULL,  -- as placements key enterprises: uscc:… | dir:… | name:…
            enterprise_name VARCHAR NOT NULL,
            region_code VARCHAR NOT NULL,
            outcome VARCHAR NOT NULL,         -- called | promised | paid | gave_up
            note VARCHAR,
            logged_by INTEGER NOT NULL,
            logged_at TIMESTAMP NOT NULL
        );
        """,
    ),
    (
        11,
        "summary tables the region pages and the map read (patentatlas.analytics.summaries), and what they describe",
        """
        -- one row: the statistics date, data date and rule sets the summaries were built for, and the
        -- data they were built from (patents, last import, status changes); stale: placement or
        -- industries changed since
        CREATE TABLE summary_state (
            as_of DATE NOT NULL,
            data_date DATE NOT NULL,
            evidence BOOLEAN NOT NULL,
            indicators_version INTEGER NOT NULL,
            high_value_version INTEGER NOT NULL,
            patents BIGINT NOT NULL,
            last_batch_id INTEGER,
            status_changes BIGINT NOT NULL,
            stale BOOLEAN NOT NULL DEFAULT false,
            engine VARCHAR NOT NULL,          -- duckdb | spark (patentatlas spark … --into-store)
            built_at TIMESTAMP NOT NULL,
            seconds DOUBLE
        );
        -- region columns: the first applicant's, as the patents hold them (township_code: its finest
        -- code); industry '' = all, else a strategic emerging industry code (each level of a patent's)
        CREATE TABLE summary_facts (
            country_cn BOOLEAN, province_code VARCHAR, city_code VARCHAR, county_code VARCHAR,
            township_code VARCHAR, industry VARCHAR NOT NULL,
            patent_type VARCHAR, status VARCHAR, filing_year INTEGER,
            grant_year INTEGER,               -- granted by the statistics date, else NULL
            invention BOOLEAN, valid BOOLEAN, high_value BOOLEAN, granted BOOLEAN, refused BOOLEAN,
            undated_grant BOOLEAN, undated_lapse BOOLEAN, unknown_status BOOLEAN, sei_from_main_ipc BOOLEAN,
            c_sei BOOLEAN, c_overseas BOOLEAN, c_maintained BOOLEAN, c_pledge BOOLEAN, c_award BOOLEAN,
            patents BIGINT NOT NULL
        );
        CREATE TABLE summary_applicants (
            country_cn BOOLEAN, province_code VARCHAR, city_code VARCHAR, county_code VARCHAR,
            township_code VARCHAR, industry VARCHAR NOT NULL,
            applicant_key VARCHAR, applicant VARCHAR NOT NULL, filing_year INTEGER,
            patents BIGINT NOT NULL, inventions BIGINT NOT NULL, valid BIGINT NOT NULL, high_value BIGINT NOT NULL
        );
        CREATE TABLE summary_ipc (
            country_cn BOOLEAN, province_code VARCHAR, city_code VARCHAR, county_code VARCHAR,
            township_code VARCHAR, industry VARCHAR NOT NULL,
            subclass VARCHAR NOT NULL, patents BIGINT NOT NULL, valid BIGINT NOT NULL
        );
        """,
    ),
    (
        12,
        "calendar addresses kept as hashes: the store holds no secret a calendar app could be read with",
        """
        -- sha256 (hex) of the address's random token, as sessions keep theirs; the address itself is
        -- shown once, when it is made
        UPDATE enterprises SET calendar_token = sha256(calendar_token) WHERE calendar_token IS NOT NULL;
        ALTER TABLE enterprises RENAME COLUMN calendar_token TO calendar_token_hash;
        """,
    ),
    (
        13,
        "warnings said in their reader's language: no stored prose; an enterprise's notification language",
        """
        -- a warning's title and body are said from its rule and facts (domain.warning_text), in the
        -- language of the page, the mail or the webhook that shows it
        ALTER TABLE warnings DROP COLUMN title;
        ALTER TABLE warnings DROP COLUMN body;
        -- the language of the enterprise's mails, webhooks and calendar feed: zh | en
        ALTER TABLE enterprises ADD COLUMN notify_lang VARCHAR DEFAULT 'zh';
        """,
    ),
    (
        14,
        "the search index follows placements, value scores and industries between imports",
        """
        -- bumped by each write that changes what a patent's search document holds besides its texts
        -- (search.freshness.mark_index_stale); the index syncs when it is ahead of the index's own count
        ALTER TABLE search_state ADD COLUMN changes BIGINT NOT NULL DEFAULT 0;
        """,
    ),
    (
        15,
        "summaries record the annual-fee rules they counted the invention term by",
        """
        -- the invention term is read from the annual-fee rules (rules.counting_rules): summaries built
        -- before this know no version of them and are built again (NULL describes no rules)
        ALTER TABLE summary_state ADD COLUMN annual_fees_version INTEGER;
        """,
    ),
    (
        16,
        "the placement panel reads a summary: summary_placement, refreshed with the other summaries",
        """
        -- region columns as in summary_facts; county / township: placed to one (the first applicant's
        -- county code, a 9-digit finest code); method / township_method as placements hold them ('none':
        -- no placement); the first applicant as one enterprise only where the patent is not placed to
        -- both (the panel lists those), else NULL; every patent, whatever its filing date
        CREATE TABLE summary_placement (
            country_cn BOOLEAN, province_code VARCHAR, city_code VARCHAR, county_code VARCHAR,
            township_code VARCHAR, county BOOLEAN NOT NULL, township BOOLEAN,
            method VARCHAR NOT NULL, township_method VARCHAR,
            applicant_key VARCHAR, applicant VARCHAR, patents BIGINT NOT NULL
        );
        -- summaries built before hold no placement rows: the pages read the patents until a refresh
        UPDATE summary_state SET stale = true;
        """,
    ),
    (
        17,
        "citations as a table of their own, kept by each import, instead of a view over every patent's lists",
        """
        -- one row per publication a patent's record lists: backward, the patent cites publication_number;
        -- forward, publication_number cites the patent (patents keep the lists the patent page shows;
        -- the loader writes the rows of each patent it inserts or replaces, store.writer)
        DROP VIEW citations;
        CREATE TABLE citations (
            application_number VARCHAR NOT NULL,
            direction VARCHAR NOT NULL,
            publication_number VARCHAR NOT NULL
        );
        INSERT INTO citations
            SELECT * FROM (
                SELECT application_number, 'backward' AS direction, unnest(cited_publications) AS publication_number
                FROM patents
                UNION ALL
                SELECT application_number, 'forward', unnest(citing_publications) FROM patents)
            WHERE publication_number IS NOT NULL;
        """,
    ),
    (
        18,
        "a quarantined row's reason kept as its message (msgid and arguments), said in each reader's language",
        """
        -- {"msgid": …, "args": {…}} (i18n.message_json); reason keeps the English text the CLI and the
        -- JSON API print; NULL where the reason is plain text (rows an older store quarantined)
        ALTER TABLE quarantine ADD COLUMN reason_said JSON;
        """,
    ),
    (
        19,
        "inventors are no parties: a patent's inventors are its inventor_names",
        """
        -- a party is one per normalised name, and an inventor's name names no one person; the links were
        -- 72 % of patent_parties and read only to list a patent's inventors, which inventor_names holds
        -- in the same order. A name that was only an inventor's goes with its links.
        DELETE FROM parties WHERE party_id IN (
            SELECT party_id FROM patent_parties WHERE role = 'inventor'
            EXCEPT SELECT party_id FROM patent_parties WHERE role <> 'inventor');
        DELETE FROM patent_parties WHERE role = 'inventor';
        """,
    ),
    (
        20,
        "a patent's value row keeps its score and raw components; the rest follows from its cohort's rows",
        """
        -- the normalised components, the cohort's size and the missing components follow from the raw
        -- components of the cohort's rows, as scored together (domain.value.stored_value): a third of
        -- the columns the value refresh wrote for every patent. The rows kept stay true: their cohort's
        -- rows are the ones they were normalised among.
        ALTER TABLE patent_values DROP COLUMN cohort_size;
        ALTER TABLE patent_values DROP COLUMN n_forward_citations;
        ALTER TABLE patent_values DROP COLUMN n_backward_citations;
        ALTER TABLE patent_values DROP COLUMN n_family_size;
        ALTER TABLE patent_values DROP COLUMN n_overseas_family;
        ALTER TABLE patent_values DROP COLUMN n_claims;
        ALTER TABLE patent_values DROP COLUMN n_scope;
        ALTER TABLE patent_values DROP COLUMN n_grant_lag;
        ALTER TABLE patent_values DROP COLUMN n_remaining_life;
        ALTER TABLE patent_values DROP COLUMN n_legal_status;
        ALTER TABLE patent_values DROP COLUMN missing;
        """,
    ),
]


def migrate(conn: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations the store has not seen yet; return their versions."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP DEFAULT now())"
    )
    done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in MIGRATIONS:
        if version in done:
            continue
        conn.execute("BEGIN")
        try:
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied
