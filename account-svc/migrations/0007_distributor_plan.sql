-- The root distributor runs on its own plan, whose API budget is sized for
-- an operator provisioning a whole platform (see domain/plan.rs).
update customer set plan_name = 'distributor' where parent_id is null;
